// SPDX-License-Identifier: Apache-2.0
// The chip's certificate and signatures checked by OpenSSL, not by our code: the zone-0
// certificate read through the driver chains to the emulator's factory CA, slot-0 and slot-1
// (P-384) signatures verify with `openssl pkeyutl`.
#include <gtest/gtest.h>

#include <memory>

#include "emulated_chip.hpp"
#include "pem.hpp"
#include "process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/stsafe/responses.hpp"

using namespace sebind;
using namespace sebind::stsafe;

namespace {

class OpensslInterop : public ::testing::Test {
protected:
    std::vector<unsigned char> zone0_certificate() {
        std::uint8_t head[4];
        EXPECT_TRUE(se->read(0, 0, head).ok());
        auto total = der_total_length(head);
        EXPECT_TRUE(total);
        std::vector<unsigned char> der(total ? *total : 0);
        EXPECT_TRUE(se->read(0, 0, der).ok());
        return der;
    }

    test::RunResult pkeyutl_verify(const std::string& pub, const std::vector<unsigned char>& digest,
                                   const std::vector<unsigned char>& sig) {
        test::write_file(dir.file("digest.bin"), digest);
        test::write_file(dir.file("sig.der"), sig);
        return test::run({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", dir.file("digest.bin"),
                          "-sigfile", dir.file("sig.der")});
    }

    test::TempDir dir;
    test::EmulatedChip rig{dir.file("se")};
    Device* se = rig.device.get();
};

}  // namespace

TEST_F(OpensslInterop, Zone0CertificateChainsToTheFactoryCa) {
    test::write_file(dir.file("device.pem"), test::certificate_pem(zone0_certificate()));
    auto ok = test::run({"openssl", "verify", "-CAfile", dir.file("se/factory-ca.pem"), dir.file("device.pem")});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find(": OK"), std::string::npos) << ok.output;

    // Another chip's factory CA must not vouch for this certificate.
    ASSERT_TRUE(emu::init_chip(dir.file("other"), {}).ok());
    auto bad = test::run({"openssl", "verify", "-CAfile", dir.file("other/factory-ca.pem"), dir.file("device.pem")});
    EXPECT_NE(bad.exit_code, 0) << bad.output;
}

TEST_F(OpensslInterop, Slot0SignatureVerifiesWithTheCertificateKey) {
    test::write_file(dir.file("device.pem"), test::certificate_pem(zone0_certificate()));
    auto pub = test::run({"openssl", "x509", "-in", dir.file("device.pem"), "-pubkey", "-noout"});
    ASSERT_EQ(pub.exit_code, 0) << pub.output;
    test::write_file(dir.file("slot0.pub.pem"), pub.output);

    const auto digest = test::hash("SHA256", "telemetry from device 001");
    auto sig = se->generate_signature(kSlotFactory, digest);
    ASSERT_TRUE(sig);
    auto verified = pkeyutl_verify(dir.file("slot0.pub.pem"), digest, test::signature_der(*sig));
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_NE(verified.output.find("Signature Verified Successfully"), std::string::npos) << verified.output;

    auto other = test::hash("SHA256", "telemetry from device 002");
    auto rejected = pkeyutl_verify(dir.file("slot0.pub.pem"), other, test::signature_der(*sig));
    EXPECT_NE(rejected.exit_code, 0) << rejected.output;
}

TEST_F(OpensslInterop, Slot1P384KeyWorksTheSameWay) {
    auto pub = se->generate_key_pair(kSlotUser, Curve::p384);
    ASSERT_TRUE(pub);
    test::write_file(dir.file("slot1.pub.pem"), test::public_key_pem(*pub));
    auto text = test::run({"openssl", "pkey", "-pubin", "-in", dir.file("slot1.pub.pem"), "-text", "-noout"});
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("P-384"), std::string::npos) << text.output;

    const auto digest = test::hash("SHA384", "a P-384 identity");
    auto sig = se->generate_signature(kSlotUser, digest);
    ASSERT_TRUE(sig);
    EXPECT_EQ(sig->r.size(), 48u);
    auto verified = pkeyutl_verify(dir.file("slot1.pub.pem"), digest, test::signature_der(*sig));
    EXPECT_EQ(verified.exit_code, 0) << verified.output;

    auto tampered = digest;
    tampered[0] ^= 0x80;
    auto rejected = pkeyutl_verify(dir.file("slot1.pub.pem"), tampered, test::signature_der(*sig));
    EXPECT_NE(rejected.exit_code, 0) << rejected.output;
}
