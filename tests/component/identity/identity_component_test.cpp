// SPDX-License-Identifier: Apache-2.0
// sebind::identity against the emulated chip: keygen's refusal and curve read-back, CSRs signed
// through the SE key, chain files, both zone layouts, corruption, and "mismatch" versus "chip error".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include <mbedtls/md.h>
#include <mbedtls/x509_csr.h>

#include "harness.hpp"
#include "host_crypto.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "software_ca.hpp"

using namespace sebind;
using namespace sebind::stsafe;
using test::bytes_of;

namespace {

constexpr std::uint8_t kZone = 4;

class IdentityOnChip : public ::testing::Test {
protected:
    PublicKey keygen(Curve curve, bool force = false, std::uint16_t usage_limit = 0xFFFF) {
        identity::KeygenOptions o;
        o.curve = curve;
        o.force = force;
        o.usage_limit = usage_limit;
        auto pub = identity::keygen(se, o);
        EXPECT_TRUE(pub) << to_string(pub.status().code());
        return pub ? *pub : PublicKey{};
    }

    /// A forced keygen on `curve` with power lost at the n-th NVM write from now. Returns true
    /// when it completed (the loss would have come later); otherwise the chip is power-cycled.
    bool forced_keygen_with_power_loss(std::uint64_t n, Curve curve) {
        emu::FaultConfig faults;
        faults.power_loss_at_write = chip->stats().nvm_writes + n;
        chip->set_faults(faults);
        identity::KeygenOptions o;
        o.force = true;
        o.curve = curve;
        const bool completed = identity::keygen(se, o).ok();
        chip->set_faults({});
        if (completed) return true;
        EXPECT_TRUE(chip->power_cycle().ok());
        se.invalidate_caches();
        return false;
    }

    /// A certificate for the slot's current key, issued by the software CA.
    std::vector<std::uint8_t> certificate_for_slot(const PublicKey& pub, const std::string& cn = "CN=device-001") {
        mbedtls_pk_context k;
        mbedtls_pk_init(&k);
        EXPECT_TRUE(mbedtls_util::setup_se_key(k, se, kSlotUser, pub).ok());
        auto der = ca.issue(k, cn);
        mbedtls_pk_free(&k);
        return der;
    }

    std::vector<std::uint8_t> zone_bytes(std::uint8_t zone, std::size_t n = 1696) {
        std::vector<std::uint8_t> out(n);
        EXPECT_TRUE(se.read(zone, 0, out).ok());
        return out;
    }

    static bool same_key(const PublicKey& a, const PublicKey& b) {
        return a.curve == b.curve && std::equal(a.x.begin(), a.x.end(), b.x.begin(), b.x.end()) &&
               std::equal(a.y.begin(), a.y.end(), b.y.begin(), b.y.end());
    }

    /// What a CA checks of a PEM request: its signature verifies with the key it carries; and
    /// that key is the slot's (the chip's own signature verifies with it).
    ::testing::AssertionResult csr_verifies(const std::string& pem) {
        mbedtls_x509_csr csr;
        mbedtls_x509_csr_init(&csr);
        struct Guard {
            mbedtls_x509_csr* c;
            ~Guard() { mbedtls_x509_csr_free(c); }
        } guard{&csr};
        if (mbedtls_x509_csr_parse(&csr, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1) != 0)
            return ::testing::AssertionFailure() << "not a PKCS#10 request";
        const mbedtls_md_info_t* md = mbedtls_md_info_from_type(csr.sig_md);
        unsigned char digest[MBEDTLS_MD_MAX_SIZE];
        if (!md || mbedtls_md(md, csr.cri.p, csr.cri.len, digest) != 0)
            return ::testing::AssertionFailure() << "no digest";
        if (mbedtls_pk_verify(&csr.pk, csr.sig_md, digest, mbedtls_md_get_size(md), csr.sig.p, csr.sig.len) != 0)
            return ::testing::AssertionFailure() << "the signature does not verify with the request's key";
        auto in_csr = mbedtls_util::public_key_of(csr.pk);
        if (!in_csr) return ::testing::AssertionFailure() << "the request's key is not an EC key";
        const std::vector<std::uint8_t> probe(32, 0x5A);
        auto sig = se.generate_signature(kSlotUser, probe);
        if (!sig) return ::testing::AssertionFailure() << "the slot does not sign: " << to_string(sig.status().code());
        if (!test::host_verify(*in_csr, *sig, probe))
            return ::testing::AssertionFailure() << "the request's key is not the slot's";
        return ::testing::AssertionSuccess();
    }

    std::unique_ptr<test::TestChip> chip = test::make_test_chip();
    Device& se = chip->device();
    test::SoftwareCa ca;
};

class CsrPerCurve : public IdentityOnChip, public ::testing::WithParamInterface<Curve> {};

}  // namespace

TEST_F(IdentityOnChip, KeygenRefusesToReplaceAKeyWithoutForce) {
    const PublicKey first = keygen(Curve::p256);
    ASSERT_TRUE(identity::store_certificate(se, certificate_for_slot(first), {}));
    identity::KeygenOptions again;
    again.curve = Curve::p384;
    EXPECT_EQ(identity::keygen(se, again).status().code(), Errc::already_exists);
    // Nothing changed: same key on the chip (its certificate still pairs), same record.
    EXPECT_EQ(*se.slot_curve(kSlotUser), Curve::p256);
    EXPECT_TRUE(same_key(*identity::slot_public_key(se, kSlotUser, kZone), first));
    EXPECT_TRUE(identity::verify_pair(se, kSlotUser, identity::read_certificate(se, kZone)->der).ok());

    // With force: a new key on another curve, read back from the chip; the old certificate is gone.
    const PublicKey second = keygen(Curve::p384, true);
    EXPECT_EQ(second.curve, Curve::p384);
    EXPECT_EQ(*se.slot_curve(kSlotUser), Curve::p384);
    EXPECT_TRUE(same_key(*identity::slot_public_key(se, kSlotUser, kZone), second));
    EXPECT_EQ(identity::read_certificate(se, kZone).status().code(), Errc::does_not_exist);
}

TEST_F(IdentityOnChip, KeygenRefusesAReadOnlyRecordZoneBeforeTouchingTheSlot) {
    identity::KeygenOptions o;
    o.zone = 0;  // factory zone: update AC "never"
    EXPECT_EQ(identity::keygen(se, o).status().code(), Errc::not_permitted);
    EXPECT_EQ(se.slot_curve(kSlotUser).status().code(), Errc::does_not_exist);
}

TEST_P(CsrPerCurve, ChipSignedRequestWithTheCurvesDigestAndTheSlotsKey) {
    const Curve curve = GetParam();
    const PublicKey pub = keygen(curve);
    auto pem = identity::make_csr(se, kSlotUser, kZone, "CN=device-001,O=Acme",
                                  {"device-001.local", "*.fleet.example"});
    ASSERT_TRUE(pem) << to_string(pem.status().code());
    mbedtls_x509_csr csr;
    mbedtls_x509_csr_init(&csr);
    ASSERT_EQ(mbedtls_x509_csr_parse(&csr, reinterpret_cast<const unsigned char*>(pem->c_str()), pem->size() + 1), 0);
    EXPECT_EQ(csr.sig_md, curve_info(curve).coordinate_size == 48 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256);
    auto in_csr = mbedtls_util::public_key_of(csr.pk);
    ASSERT_TRUE(in_csr);
    EXPECT_TRUE(same_key(*in_csr, pub));
    // The signature verifies with the request's own key (what a CA checks first).
    EXPECT_TRUE(csr_verifies(*pem));
    // The SAN extension carries both names as dNSName (context tag 2).
    const std::string raw(reinterpret_cast<const char*>(csr.raw.p), csr.raw.len);
    EXPECT_NE(raw.find(std::string("\x82\x10") + "device-001.local"), std::string::npos);
    EXPECT_NE(raw.find(std::string("\x82\x0f") + "*.fleet.example"), std::string::npos);
    mbedtls_x509_csr_free(&csr);
}

INSTANTIATE_TEST_SUITE_P(AllCurves, CsrPerCurve,
                         ::testing::Values(Curve::p256, Curve::p384, Curve::brainpool_p256r1, Curve::brainpool_p384r1),
                         [](const auto& p) { return std::string(curve_info(p.param).short_name); });

TEST_F(IdentityOnChip, CsrRefusesBadNamesAndAnEmptySlot) {
    EXPECT_EQ(identity::make_csr(se, kSlotUser, kZone, "CN=x", {}).status().code(), Errc::does_not_exist);
    keygen(Curve::p256);
    for (const char* bad : {"", "two words", "a..b", "trailing.", "caf\xc3\xa9.example", "x.*.example"}) {
        EXPECT_EQ(identity::make_csr(se, kSlotUser, kZone, "CN=x", {bad}).status().code(), Errc::invalid_argument)
            << bad;
    }
    EXPECT_EQ(identity::make_csr(se, kSlotUser, kZone, "no equals sign", {}).status().code(), Errc::invalid_argument);
}

TEST_F(IdentityOnChip, CsrDetectsARecordedKeyThatIsNotTheSlotsKey) {
    // As after a keygen cut short between Generate Key and the record's commit: the slot holds a
    // new key, the zone still the old public key. The request would be unverifiable; refuse it.
    keygen(Curve::p256);
    ASSERT_TRUE(se.generate_key_pair(kSlotUser, Curve::p256));
    EXPECT_EQ(identity::make_csr(se, kSlotUser, kZone, "CN=x", {}).status().code(), Errc::invalid_signature);
}

TEST_F(IdentityOnChip, ChainFileStoresTheLeafAndReportsTheRest) {
    const PublicKey pub = keygen(Curve::p384);
    const auto leaf = certificate_for_slot(pub);
    const std::string chain = test::to_pem(leaf) + test::to_pem(ca.self_certificate());
    auto report = identity::store_certificate(se, bytes_of(chain), {});
    ASSERT_TRUE(report) << to_string(report.status().code());
    EXPECT_EQ(report->chain_rest, 1u);
    EXPECT_EQ(report->subject, "CN=device-001");
    EXPECT_FALSE(report->outside_validity);
    auto stored = identity::read_certificate(se, kZone);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->der, leaf);
    EXPECT_FALSE(stored->factory_layout);
    // DER input too; every store moves to the other copy with a new generation.
    auto again = identity::store_certificate(se, leaf, {});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->generation, report->generation + 1);
    EXPECT_EQ(identity::read_certificate(se, kZone)->generation, again->generation);
}

TEST_F(IdentityOnChip, NotYetValidNeedsForce) {
    const PublicKey pub = keygen(Curve::p256);
    mbedtls_pk_context k;
    mbedtls_pk_init(&k);
    ASSERT_TRUE(mbedtls_util::setup_se_key(k, se, kSlotUser, pub).ok());
    const auto future = ca.issue(k, "CN=later", "20900101000000", "20910101000000");
    mbedtls_pk_free(&k);
    const auto before = zone_bytes(kZone);
    EXPECT_EQ(identity::store_certificate(se, future, {}).status().code(), Errc::expired);
    EXPECT_EQ(zone_bytes(kZone), before);
    identity::StoreOptions forced;
    forced.force = true;
    auto report = identity::store_certificate(se, future, forced);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->outside_validity);
}

TEST_F(IdentityOnChip, FactoryLayoutInEveryDerLengthForm) {
    // Zone 0 as the factory writes it (§6.3): a DER certificate at offset 0 — read, parsed, paired.
    auto factory = identity::read_certificate(se, 0);
    ASSERT_TRUE(factory) << to_string(factory.status().code());
    EXPECT_TRUE(factory->factory_layout);
    EXPECT_TRUE(identity::verify_pair(se, kSlotFactory, factory->der).ok());
    EXPECT_EQ(identity::slot_public_key(se, kSlotFactory, 0)->curve, Curve::p256);

    // The three DER length forms, written plainly into zone 7 (the reader takes exactly the TLV).
    for (std::size_t body : {std::size_t{0x45}, std::size_t{0xC8}, std::size_t{0x1F0}}) {
        std::vector<std::uint8_t> der{0x30};
        if (body < 0x80) {
            der.push_back(static_cast<std::uint8_t>(body));
        } else if (body < 0x100) {
            der.insert(der.end(), {0x81, static_cast<std::uint8_t>(body)});
        } else {
            der.insert(der.end(), {0x82, static_cast<std::uint8_t>(body >> 8), static_cast<std::uint8_t>(body)});
        }
        for (std::size_t i = 0; i < body; ++i) der.push_back(static_cast<std::uint8_t>(i));
        std::vector<std::uint8_t> with_tail = der;
        with_tail.insert(with_tail.end(), 16, 0xEE);  // whatever follows is not the certificate's
        ASSERT_TRUE(se.update(7, 0, with_tail).ok());
        auto back = identity::read_certificate(se, 7);
        ASSERT_TRUE(back) << body;
        EXPECT_TRUE(back->factory_layout);
        EXPECT_EQ(back->der, der) << body;
    }
    // Neither layout: nothing to show.
    ASSERT_TRUE(se.update(7, 0, std::vector<std::uint8_t>(64, 0)).ok());
    EXPECT_EQ(identity::read_certificate(se, 7).status().code(), Errc::does_not_exist);
}

TEST_F(IdentityOnChip, DamagedRecordIsReportedNotMisread) {
    const PublicKey pub = keygen(Curve::p256);
    ASSERT_TRUE(identity::store_certificate(se, certificate_for_slot(pub), {}));
    auto header = zone_bytes(kZone, 32);
    header[12] ^= 0x01;  // record size, CRC now wrong
    ASSERT_TRUE(se.update(kZone, 0, header).ok());
    EXPECT_EQ(identity::read_certificate(se, kZone).status().code(), Errc::corrupted_data);
    header[12] ^= 0x01;
    ASSERT_TRUE(se.update(kZone, 0, header).ok());
    ASSERT_TRUE(identity::read_certificate(se, kZone));
    // A flipped bit inside the active copy (copy B after keygen + one store).
    const std::uint16_t active = header[5] ? 880 : 64;
    std::uint8_t b = 0;
    ASSERT_TRUE(se.read(kZone, static_cast<std::uint16_t>(active + 120), MutableBytes(&b, 1)).ok());
    b ^= 0x10;
    ASSERT_TRUE(se.update(kZone, static_cast<std::uint16_t>(active + 120), Bytes(&b, 1)).ok());
    EXPECT_EQ(identity::read_certificate(se, kZone).status().code(), Errc::corrupted_data);
    EXPECT_EQ(identity::slot_public_key(se, kSlotUser, kZone).status().code(), Errc::corrupted_data);
}

TEST_F(IdentityOnChip, VerifyPairTellsMismatchFromChipError) {
    const PublicKey pub = keygen(Curve::p256, false, 3);
    const auto good = certificate_for_slot(pub);
    EXPECT_TRUE(identity::verify_pair(se, kSlotUser, good).ok());  // 1 signature used

    // Same curve, another key: a mismatch.
    test::SoftwareKey stranger(MBEDTLS_ECP_DP_SECP256R1, 99);
    EXPECT_EQ(identity::verify_pair(se, kSlotUser, ca.issue(stranger.pk(), "CN=stranger")).code(),
              Errc::invalid_signature);
    // Another curve: the slot cannot hold that key at all.
    test::SoftwareKey p384(MBEDTLS_ECP_DP_SECP384R1, 98);
    EXPECT_EQ(identity::verify_pair(se, kSlotUser, ca.issue(p384.pk(), "CN=p384")).code(), Errc::invalid_argument);
    EXPECT_EQ(identity::verify_pair(se, kSlotUser, bytes_of("garbage")).code(), Errc::invalid_argument);

    // Usage limit used up (3 signatures: the good and the stranger's check above, and this one):
    // the chip refuses — not a mismatch.
    EXPECT_TRUE(identity::verify_pair(se, kSlotUser, good).ok());
    const Status refused = identity::verify_pair(se, kSlotUser, good);
    EXPECT_EQ(refused.code(), Errc::not_permitted);
    EXPECT_EQ(refused.device_status(), 0x0B);

    // A silent chip: a bus failure, not a mismatch.
    keygen(Curve::p256, true);
    emu::FaultConfig faults;
    faults.nack_burst_rate = 1.0;
    faults.nack_burst_length = 1000;  // the daemon protocol's maximum; longer than the polling budget
    chip->set_faults(faults);
    const Status dead = identity::verify_pair(se, kSlotUser, good);
    chip->set_faults({});
    EXPECT_NE(dead.code(), Errc::invalid_signature);
    EXPECT_FALSE(dead.ok());
}

TEST_F(IdentityOnChip, PowerLossDuringKeygenNeverYieldsAnUnverifiableCsr) {
    // Replacing a key is two steps the chip cannot make atomic (Generate Key, then the record).
    // Cut power at each NVM write of a forced keygen: afterwards a CSR is either refused or
    // verifies, and a second keygen --force always recovers.
    keygen(Curve::p256);
    int refused = 0, losses = 0;
    identity::KeygenOptions o;
    o.force = true;
    for (std::uint64_t n = 1; n < 100; ++n) {
        if (forced_keygen_with_power_loss(n, o.curve)) break;
        ++losses;
        auto csr = identity::make_csr(se, kSlotUser, kZone, "CN=after-loss", {});
        if (!csr) {
            ++refused;
            EXPECT_EQ(csr.status().code(), Errc::invalid_signature) << n << ": " << to_string(csr.status().code());
        } else {
            EXPECT_TRUE(csr_verifies(*csr)) << n;
        }
        ASSERT_TRUE(identity::keygen(se, o)) << n;
        auto recovered = identity::make_csr(se, kSlotUser, kZone, "CN=recovered", {});
        ASSERT_TRUE(recovered) << n;
        EXPECT_TRUE(csr_verifies(*recovered)) << n;
    }
    // The window exists (new key, old record) and was hit; losses before Generate Key keep the old pair.
    EXPECT_GE(refused, 1);
    EXPECT_GT(losses, refused);
}

TEST_F(IdentityOnChip, PowerLossDuringACurveChangingKeygenIsAMismatchNotBadInput) {
    // The same window with a new curve: the slot holds a P-384 key, the record still the P-256
    // one. A CSR is refused as a mismatch (CLI: exit 9, "run keygen --force"), never as bad input.
    keygen(Curve::p256);
    int refused = 0;
    for (std::uint64_t n = 1; n < 100; ++n) {
        keygen(Curve::p256, true);
        if (forced_keygen_with_power_loss(n, Curve::p384)) break;
        auto csr = identity::make_csr(se, kSlotUser, kZone, "CN=after-loss", {});
        if (!csr) {
            ++refused;
            EXPECT_EQ(csr.status().code(), Errc::invalid_signature) << n << ": " << to_string(csr.status().code());
        }
    }
    EXPECT_GE(refused, 1);
}

TEST_F(IdentityOnChip, LargestCertificateThatFitsTheCopyIsStoredOneByteMoreIsNot) {
    // Zone 4's copies hold 816 bytes; a P-384 record spends 101 on the key and 2 on the length,
    // so 713 bytes of DER fit (docs/identity-zone-layout.md). Grow the subject a byte at a time.
    const PublicKey pub = keygen(Curve::p384);
    mbedtls_pk_context k;
    mbedtls_pk_init(&k);
    ASSERT_TRUE(mbedtls_util::setup_se_key(k, se, kSlotUser, pub).ok());
    std::vector<std::uint8_t> fits, too_big;
    for (std::size_t n = 1; n < 600 && too_big.empty(); ++n) {
        const std::string pad(n, 'x');
        const std::string subject = "CN=device-" + pad.substr(0, std::min<std::size_t>(n, 60)) +
                                    (n > 60 ? ",O=" + pad.substr(0, std::min<std::size_t>(n - 60, 200)) : "") +
                                    (n > 260 ? ",OU=" + pad.substr(0, n - 260) : "");
        auto der = ca.issue(k, subject);
        if (der.size() <= 713)
            fits = der;
        else
            too_big = der;
    }
    mbedtls_pk_free(&k);
    ASSERT_FALSE(fits.empty());
    ASSERT_FALSE(too_big.empty());
    EXPECT_GE(fits.size(), 711u);  // the search got within a length-encoding step of the limit
    const auto before = zone_bytes(kZone);
    EXPECT_EQ(identity::store_certificate(se, too_big, {}).status().code(), Errc::out_of_range) << too_big.size();
    EXPECT_EQ(zone_bytes(kZone), before);
    ASSERT_TRUE(identity::store_certificate(se, fits, {})) << fits.size();
    EXPECT_EQ(identity::read_certificate(se, kZone)->der, fits);
}

TEST_F(IdentityOnChip, ZonesThisHostCannotUpdateAreRefusedBeforeAnyWrite) {
    // Zone 2 tightened to "host" (needs a C-MAC; this driver has no host keys), zone 3 to
    // "never" (§6.1: AC changes only ever get stricter).
    const std::uint8_t mark[1] = {0x5A};
    ASSERT_TRUE(se.update(2, 0, mark, false, AcChange{static_cast<std::uint8_t>(ZoneAccess::host), false}).ok());
    ASSERT_TRUE(se.update(3, 0, mark, false, AcChange{static_cast<std::uint8_t>(ZoneAccess::never), false}).ok());
    ASSERT_TRUE(se.query_partition());
    for (std::uint8_t zone : {std::uint8_t{2}, std::uint8_t{3}}) {
        identity::KeygenOptions o;
        o.zone = zone;
        EXPECT_EQ(identity::keygen(se, o).status().code(), Errc::not_permitted) << int{zone};
    }
    EXPECT_EQ(se.slot_curve(kSlotUser).status().code(), Errc::does_not_exist);  // nothing generated

    const PublicKey pub = keygen(Curve::p256);
    const auto cert = certificate_for_slot(pub);
    for (std::uint8_t zone : {std::uint8_t{2}, std::uint8_t{3}}) {
        const auto before = zone_bytes(zone, 600);
        identity::StoreOptions o;
        o.zone = zone;
        std::string why;
        const Status s = identity::store_certificate(se, cert, o, &why).status();
        EXPECT_EQ(s.code(), Errc::not_permitted) << int{zone};
        EXPECT_EQ(s.device_status(), 0) << "refused by sebind before the chip had to";
        EXPECT_NE(why.find("read-only"), std::string::npos) << why;
        EXPECT_EQ(zone_bytes(zone, 600), before);
    }
}
