// SPDX-License-Identifier: Apache-2.0
// The doctor's ClientHello and its bounded parser of a server's first flight: whole flights in
// one record or spread over several, every prefix of a flight (still arriving), and corrupt
// input (lengths that lie, records that are not TLS, messages out of place).
#include <gtest/gtest.h>

#include <vector>

#include "sebind/doctor/tls_wire.hpp"

using namespace sebind::doctor;

namespace {

using Buf = std::vector<std::uint8_t>;

void put16(Buf& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put24(Buf& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 16));
    put16(b, v & 0xFFFF);
}
Buf message(std::uint8_t type, const Buf& body) {
    Buf m = {type};
    put24(m, body.size());
    m.insert(m.end(), body.begin(), body.end());
    return m;
}
Buf record(std::uint8_t type, const Buf& payload) {
    Buf r = {type, 0x03, 0x03};
    put16(r, payload.size());
    r.insert(r.end(), payload.begin(), payload.end());
    return r;
}
Buf cat(std::initializer_list<Buf> parts) {
    Buf out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// ServerHello: version, random, session id, suite, compression, extensions.
Buf server_hello(std::uint16_t suite, const Buf& extensions, bool retry = false, std::uint16_t version = 0x0303) {
    Buf b;
    put16(b, version);
    static const std::uint8_t kRetry[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                            0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                            0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    for (int i = 0; i < 32; ++i) b.push_back(retry ? kRetry[i] : static_cast<std::uint8_t>(i));
    b.push_back(0);
    put16(b, suite);
    b.push_back(0);
    put16(b, extensions.size());
    b.insert(b.end(), extensions.begin(), extensions.end());
    return message(2, b);
}

Buf certificate(const std::vector<Buf>& certs) {
    Buf list;
    for (const auto& c : certs) {
        put24(list, c.size());
        list.insert(list.end(), c.begin(), c.end());
    }
    Buf b;
    put24(b, list.size());
    b.insert(b.end(), list.begin(), list.end());
    return message(11, b);
}

Buf server_key_exchange(std::uint16_t group, std::uint16_t scheme) {
    Buf b = {3};
    put16(b, group);
    b.push_back(3);
    b.insert(b.end(), {4, 1, 2});
    put16(b, scheme);
    put16(b, 2);
    b.insert(b.end(), {0x30, 0x00});
    return message(12, b);
}

Buf certificate_request(const std::vector<std::uint16_t>& schemes, const std::vector<Buf>& names) {
    Buf b = {2, 64, 1};
    put16(b, 2 * schemes.size());
    for (auto s : schemes) put16(b, s);
    Buf dns;
    for (const auto& n : names) {
        put16(dns, n.size());
        dns.insert(dns.end(), n.begin(), n.end());
    }
    put16(b, dns.size());
    b.insert(b.end(), dns.begin(), dns.end());
    return message(13, b);
}

const Buf kDn = {0x30, 0x0E, 0x31, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x03, 'a', 'C', 'A'};

/// A whole TLS 1.2 flight: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone.
Buf tls12_flight() {
    return cat({server_hello(0xC02C, {}), certificate({{0x30, 0x01, 0x00}, {0x30, 0x00}}),
                server_key_exchange(0x0018, 0x0503), certificate_request({0x0403, 0x0503}, {kDn}), message(14, {})});
}

}  // namespace

TEST(DoctorWire, WholeTls12FlightInOneRecord) {
    ServerFlight f;
    const auto r = parse_server_flight(record(22, tls12_flight()), f);
    ASSERT_EQ(r.state, ParseState::complete) << r.error;
    EXPECT_TRUE(f.server_hello);
    EXPECT_FALSE(f.hello_retry);
    EXPECT_EQ(f.version, kTls12);
    EXPECT_EQ(f.suite, 0xC02C);
    EXPECT_EQ(f.group, 0x0018);
    EXPECT_EQ(f.server_signature, 0x0503);
    ASSERT_EQ(f.certificates.size(), 2u);
    EXPECT_EQ(f.certificates[0], (Buf{0x30, 0x01, 0x00}));
    EXPECT_TRUE(f.certificate_request);
    EXPECT_EQ(f.certificate_types, (Buf{64, 1}));
    EXPECT_EQ(f.client_signature_algorithms, (std::vector<std::uint16_t>{0x0403, 0x0503}));
    ASSERT_EQ(f.ca_names.size(), 1u);
    EXPECT_EQ(f.ca_names[0], kDn);
    EXPECT_TRUE(f.done);
    EXPECT_FALSE(f.alert);
}

TEST(DoctorWire, MessagesSplitAcrossRecordsAndEveryPrefixNeedsMore) {
    const Buf hs = tls12_flight();
    // One handshake stream cut into records of 7 bytes: messages span records.
    Buf bytes;
    for (std::size_t at = 0; at < hs.size(); at += 7)
        bytes = cat({bytes, record(22, Buf(hs.begin() + at, hs.begin() + std::min(hs.size(), at + 7)))});
    ServerFlight f;
    ASSERT_EQ(parse_server_flight(bytes, f).state, ParseState::complete);
    EXPECT_EQ(f.group, 0x0018);
    EXPECT_EQ(f.ca_names.size(), 1u);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        ServerFlight p;
        const auto r = parse_server_flight(sebind::Bytes(bytes.data(), n), p);
        EXPECT_EQ(r.state, ParseState::need_more) << "prefix " << n << ": " << r.error;
        EXPECT_FALSE(p.done);
    }
}

TEST(DoctorWire, HelloRetryRequestNamesVersionSuiteAndGroup) {
    Buf ext;
    put16(ext, 0x002B), put16(ext, 2), put16(ext, 0x0304);
    put16(ext, 0x0033), put16(ext, 2), put16(ext, 0x001D);
    ServerFlight f;
    ASSERT_EQ(parse_server_flight(record(22, server_hello(0x1302, ext, true)), f).state, ParseState::complete);
    EXPECT_TRUE(f.hello_retry);
    EXPECT_EQ(f.version, kTls13);
    EXPECT_EQ(f.suite, 0x1302);
    EXPECT_EQ(f.group, 0x001D);
    EXPECT_EQ(group_name(f.group), "X25519");
    EXPECT_EQ(suite_name(f.suite), "TLS_AES_256_GCM_SHA384");
}

TEST(DoctorWire, AlertEndsTheFlight) {
    ServerFlight f;
    ASSERT_EQ(parse_server_flight(record(21, {2, 70}), f).state, ParseState::complete);
    ASSERT_TRUE(f.alert);
    EXPECT_EQ(*f.alert, 70);  // protocol_version
    EXPECT_FALSE(f.server_hello);
    EXPECT_EQ(parse_server_flight(record(21, {2}), f).state, ParseState::malformed);
}

TEST(DoctorWire, CorruptInputIsMalformedNotRead) {
    ServerFlight f;
    // Not TLS at all (an HTTP answer), a record longer than TLS allows, a wrong record version.
    const Buf http = {'H', 'T', 'T', 'P', '/', '1', '.', '1'};
    EXPECT_EQ(parse_server_flight(http, f).state, ParseState::malformed);
    EXPECT_EQ(parse_server_flight(Buf{22, 3, 3, 0xFF, 0xFF}, f).state, ParseState::malformed);
    EXPECT_EQ(parse_server_flight(Buf{22, 4, 3, 0, 1, 2}, f).state, ParseState::malformed);
    // The first message is not a ServerHello.
    EXPECT_EQ(parse_server_flight(record(22, message(14, {})), f).state, ParseState::malformed);
    // A Certificate message whose list length says more than the message holds.
    Buf bad = certificate({{0x30, 0x00}});
    bad[6] = 0x40;  // the list length's low byte
    EXPECT_EQ(parse_server_flight(record(22, cat({server_hello(0xC02B, {}), bad})), f).state, ParseState::malformed);
    // A certificate inside the list that runs past it.
    Buf inner = certificate({{0x30, 0x00}});
    inner[9] = 0x09;  // the certificate's length's low byte
    EXPECT_EQ(parse_server_flight(record(22, cat({server_hello(0xC02B, {}), inner})), f).state, ParseState::malformed);
    // A ServerHello extension block that lies, a supported_versions of the wrong size.
    Buf sh = server_hello(0xC02B, {0x00, 0x2B, 0x00, 0x05, 0x03});
    EXPECT_EQ(parse_server_flight(record(22, sh), f).state, ParseState::malformed);
    Buf sv;
    put16(sv, 0x002B), put16(sv, 3), sv.insert(sv.end(), {3, 4, 0});
    EXPECT_EQ(parse_server_flight(record(22, server_hello(0x1301, sv)), f).state, ParseState::malformed);
    // A CertificateRequest with an odd signature-algorithm list, and one with trailing bytes.
    Buf cr = {1, 64, 0, 3, 4, 3, 5, 0, 0};
    EXPECT_EQ(parse_server_flight(record(22, cat({server_hello(0xC02B, {}), message(13, cr)})), f).state,
              ParseState::malformed);
    Buf trailing = {1, 64, 0, 2, 4, 3, 0, 0, 9};
    EXPECT_EQ(parse_server_flight(record(22, cat({server_hello(0xC02B, {}), message(13, trailing)})), f).state,
              ParseState::malformed);
    // Application data before any handshake.
    EXPECT_EQ(parse_server_flight(record(23, {1, 2, 3}), f).state, ParseState::malformed);
    // More than the bound.
    EXPECT_EQ(parse_server_flight(Buf(kMaxFlightBytes + 1, 22), f).state, ParseState::malformed);
}

TEST(DoctorWire, EveryByteFlippedStaysInBounds) {
    // Each single-byte corruption parses to some state without reading outside the input (the
    // sanitizer builds catch what a test cannot see) and never claims more than it was given.
    const Buf good = record(22, tls12_flight());
    for (std::size_t i = 0; i < good.size(); ++i)
        for (const std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0xFF}, std::uint8_t(good[i] ^ 0x80)}) {
            Buf b = good;
            b[i] = v;
            ServerFlight f;
            (void)parse_server_flight(b, f);
            EXPECT_LE(f.certificates.size(), kMaxListEntries);
            std::size_t held = 0;
            for (const auto& c : f.certificates) held += c.size();
            EXPECT_LE(held, b.size());
        }
}

TEST(DoctorWire, ClientHelloOffersWhatItIsAskedTo) {
    const std::uint8_t random[32] = {};
    HelloOffer o{true, "broker.example", {0x1301, 0x1302}, {0x0017}, {0x0403}};
    const Buf hello = client_hello(o, random);
    ASSERT_GE(hello.size(), 9u);
    EXPECT_EQ(hello[0], 22);
    EXPECT_EQ(static_cast<std::size_t>(hello[3] << 8 | hello[4]), hello.size() - 5);
    EXPECT_EQ(hello[5], 1);  // client_hello
    const std::string text(hello.begin(), hello.end());
    EXPECT_NE(text.find("broker.example"), std::string::npos);
    // supported_versions with TLS 1.3 alone, and an empty key_share.
    const Buf versions = {0x00, 0x2B, 0x00, 0x03, 0x02, 0x03, 0x04};
    EXPECT_NE(std::search(hello.begin(), hello.end(), versions.begin(), versions.end()), hello.end());
    const Buf key_share = {0x00, 0x33, 0x00, 0x02, 0x00, 0x00};
    EXPECT_NE(std::search(hello.begin(), hello.end(), key_share.begin(), key_share.end()), hello.end());
    // No SNI for an IP literal; TLS 1.2 hello without supported_versions.
    o.tls13 = false;
    o.server_name = "127.0.0.1";
    const Buf h12 = client_hello(o, random);
    EXPECT_EQ(std::search(h12.begin(), h12.end(), versions.begin(), versions.end()), h12.end());
    EXPECT_EQ(std::string(h12.begin(), h12.end()).find("127.0.0.1"), std::string::npos);
}

TEST(DoctorWire, SuiteTableNamesAndRequirements) {
    const auto* s = suite_info(0xC02C);
    ASSERT_NE(s, nullptr);
    EXPECT_STREQ(s->name, "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(s->hash, Hash::sha384);
    EXPECT_EQ(suite_name(0x009C), "0x009C");  // static RSA: never offered
    for (const auto& t : device_suites(false)) EXPECT_NE(t.kx, KeyExchange::tls13);
    for (const auto& t : device_suites(true)) EXPECT_EQ(t.kx, KeyExchange::tls13);
}
