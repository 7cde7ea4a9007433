// SPDX-License-Identifier: Apache-2.0
// ClientHello builder and the bounded parser of a server's plaintext first flight.
#include "sebind/doctor/tls_wire.hpp"

#include <algorithm>
#include <cstdio>

#include <arpa/inet.h>

namespace sebind::doctor {

namespace {

// RFC 5246, 5288, 5289, 7251, 7905, 8446 code points; OpenSSL's names.
constexpr SuiteInfo kSuites[] = {
    {0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", KeyExchange::ecdhe_ecdsa, Cipher::aes_gcm, Hash::sha256},
    {0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", KeyExchange::ecdhe_ecdsa, Cipher::aes_gcm, Hash::sha384},
    {0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", KeyExchange::ecdhe_ecdsa, Cipher::chachapoly, Hash::sha256},
    {0xC0AC, "ECDHE-ECDSA-AES128-CCM", KeyExchange::ecdhe_ecdsa, Cipher::aes_ccm, Hash::sha256},
    {0xC0AD, "ECDHE-ECDSA-AES256-CCM", KeyExchange::ecdhe_ecdsa, Cipher::aes_ccm, Hash::sha256},
    {0xC0AE, "ECDHE-ECDSA-AES128-CCM8", KeyExchange::ecdhe_ecdsa, Cipher::aes_ccm8, Hash::sha256},
    {0xC0AF, "ECDHE-ECDSA-AES256-CCM8", KeyExchange::ecdhe_ecdsa, Cipher::aes_ccm8, Hash::sha256},
    {0xC023, "ECDHE-ECDSA-AES128-SHA256", KeyExchange::ecdhe_ecdsa, Cipher::aes_cbc, Hash::sha256},
    {0xC024, "ECDHE-ECDSA-AES256-SHA384", KeyExchange::ecdhe_ecdsa, Cipher::aes_cbc, Hash::sha384},
    {0xC009, "ECDHE-ECDSA-AES128-SHA", KeyExchange::ecdhe_ecdsa, Cipher::aes_cbc, Hash::sha1},
    {0xC00A, "ECDHE-ECDSA-AES256-SHA", KeyExchange::ecdhe_ecdsa, Cipher::aes_cbc, Hash::sha1},
    {0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", KeyExchange::ecdhe_rsa, Cipher::aes_gcm, Hash::sha256},
    {0xC030, "ECDHE-RSA-AES256-GCM-SHA384", KeyExchange::ecdhe_rsa, Cipher::aes_gcm, Hash::sha384},
    {0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", KeyExchange::ecdhe_rsa, Cipher::chachapoly, Hash::sha256},
    {0xC027, "ECDHE-RSA-AES128-SHA256", KeyExchange::ecdhe_rsa, Cipher::aes_cbc, Hash::sha256},
    {0xC028, "ECDHE-RSA-AES256-SHA384", KeyExchange::ecdhe_rsa, Cipher::aes_cbc, Hash::sha384},
    {0xC013, "ECDHE-RSA-AES128-SHA", KeyExchange::ecdhe_rsa, Cipher::aes_cbc, Hash::sha1},
    {0xC014, "ECDHE-RSA-AES256-SHA", KeyExchange::ecdhe_rsa, Cipher::aes_cbc, Hash::sha1},
    {0x1301, "TLS_AES_128_GCM_SHA256", KeyExchange::tls13, Cipher::aes_gcm, Hash::sha256},
    {0x1302, "TLS_AES_256_GCM_SHA384", KeyExchange::tls13, Cipher::aes_gcm, Hash::sha384},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", KeyExchange::tls13, Cipher::chachapoly, Hash::sha256},
    {0x1304, "TLS_AES_128_CCM_SHA256", KeyExchange::tls13, Cipher::aes_ccm, Hash::sha256},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", KeyExchange::tls13, Cipher::aes_ccm8, Hash::sha256},
};

// RFC 8422 §5.1.1, RFC 7027, RFC 8446 §4.2.7, RFC 8734.
constexpr GroupInfo kGroups[] = {
    {0x0017, "P-256", true, true},
    {0x0018, "P-384", true, true},
    {0x0019, "P-521", true, true},
    {0x001D, "X25519", true, true},
    {0x001A, "brainpoolP256r1", true, false},
    {0x001B, "brainpoolP384r1", true, false},
    {0x001F, "brainpoolP256r1", false, true},
    {0x0020, "brainpoolP384r1", false, true},
};

struct SchemeName {
    std::uint16_t id;
    const char* name;
};
// RFC 8446 §4.2.3 (the TLS 1.2 pairs hash/signature read the same way).
constexpr SchemeName kSchemes[] = {
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0203, "ecdsa_sha1"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080A, "rsa_pss_pss_sha384"},
    {0x080B, "rsa_pss_pss_sha512"},
    {0x081A, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081B, "ecdsa_brainpoolP384r1tls13_sha384"},
    // TLS 1.2 hash/signature pairs (RFC 5246 §7.4.1.4.1) without a TLS 1.3 name.
    {0x0303, "ecdsa_sha224"},
    {0x0301, "rsa_pkcs1_sha224"},
    {0x0302, "dsa_sha224"},
    {0x0202, "dsa_sha1"},
    {0x0402, "dsa_sha256"},
    {0x0502, "dsa_sha384"},
    {0x0602, "dsa_sha512"},
};

constexpr std::uint8_t kHelloRetryRandom[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                                0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                                0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

std::string hex16(std::uint16_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%04X", v);
    return b;
}

void put8(std::vector<std::uint8_t>& b, std::size_t v) { b.push_back(static_cast<std::uint8_t>(v)); }
void put16(std::vector<std::uint8_t>& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put24(std::vector<std::uint8_t>& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 16));
    put16(b, v & 0xFFFF);
}
void extension(std::vector<std::uint8_t>& ext, std::uint16_t type, const std::vector<std::uint8_t>& body) {
    put16(ext, type);
    put16(ext, body.size());
    ext.insert(ext.end(), body.begin(), body.end());
}
std::vector<std::uint8_t> list16(const std::vector<std::uint16_t>& values) {
    std::vector<std::uint8_t> b;
    put16(b, 2 * values.size());
    for (const auto v : values) put16(b, v);
    return b;
}

/// A cursor over bytes that never reads past its end: every read says whether it could.
class Cursor {
public:
    explicit Cursor(Bytes b) : m_b(b) {}
    std::size_t left() const { return m_b.size() - m_at; }
    bool u8(std::uint8_t& v) {
        if (left() < 1) return false;
        v = m_b[m_at++];
        return true;
    }
    bool u16(std::uint16_t& v) {
        if (left() < 2) return false;
        v = static_cast<std::uint16_t>(m_b[m_at] << 8 | m_b[m_at + 1]);
        m_at += 2;
        return true;
    }
    bool u24(std::uint32_t& v) {
        if (left() < 3) return false;
        v = static_cast<std::uint32_t>(m_b[m_at] << 16 | m_b[m_at + 1] << 8 | m_b[m_at + 2]);
        m_at += 3;
        return true;
    }
    /// The next `n` bytes as a sub-cursor's span.
    bool take(std::size_t n, Bytes& out) {
        if (left() < n) return false;
        out = m_b.subspan(m_at, n);
        m_at += n;
        return true;
    }
    bool vec8(Bytes& out) {
        std::uint8_t n = 0;
        return u8(n) && take(n, out);
    }
    bool vec16(Bytes& out) {
        std::uint16_t n = 0;
        return u16(n) && take(n, out);
    }
    bool vec24(Bytes& out) {
        std::uint32_t n = 0;
        return u24(n) && take(n, out);
    }

private:
    Bytes m_b;
    std::size_t m_at = 0;
};

ParseResult malformed(std::string why) { return {ParseState::malformed, std::move(why)}; }

bool read_u16_list(Bytes b, std::vector<std::uint16_t>& out) {
    if (b.size() % 2 != 0) return false;
    Cursor c(b);
    std::uint16_t v = 0;
    while (c.left() > 0 && c.u16(v))
        if (out.size() < 256) out.push_back(v);
    return true;
}

/// ServerHello / HelloRetryRequest body (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3).
ParseResult parse_server_hello(Bytes body, ServerFlight& f) {
    Cursor c(body);
    Bytes random, session, extensions;
    std::uint8_t compression = 0;
    if (!c.u16(f.version) || !c.take(32, random) || !c.vec8(session) || session.size() > 32 || !c.u16(f.suite) ||
        !c.u8(compression))
        return malformed("a truncated ServerHello");
    f.server_hello = true;
    f.hello_retry = std::equal(random.begin(), random.end(), std::begin(kHelloRetryRandom));
    if (c.left() == 0) return {};
    if (!c.vec16(extensions) || c.left() != 0) return malformed("ServerHello extensions with a wrong length");
    Cursor e(extensions);
    while (e.left() > 0) {
        std::uint16_t type = 0;
        Bytes data;
        if (!e.u16(type) || !e.vec16(data)) return malformed("a truncated ServerHello extension");
        Cursor d(data);
        if (type == 0x002B) {  // supported_versions: selected_version
            if (!d.u16(f.version) || d.left() != 0) return malformed("a bad supported_versions extension");
        } else if (type == 0x0033) {  // key_share: group (+ key_exchange unless HRR)
            if (!d.u16(f.group)) return malformed("a bad key_share extension");
        }
    }
    return {};
}

ParseResult parse_certificate(Bytes body, ServerFlight& f) {
    Cursor c(body);
    Bytes list;
    if (!c.vec24(list) || c.left() != 0) return malformed("a Certificate message with a wrong length");
    Cursor l(list);
    while (l.left() > 0) {
        Bytes der;
        if (!l.vec24(der)) return malformed("a truncated certificate in the server's chain");
        if (f.certificates.size() < kMaxListEntries) f.certificates.emplace_back(der.begin(), der.end());
    }
    return {};
}

/// ServerKeyExchange of an ECDHE suite (RFC 8422 §5.4): named curve, point, signature.
ParseResult parse_server_key_exchange(Bytes body, ServerFlight& f) {
    Cursor c(body);
    std::uint8_t curve_type = 0;
    Bytes point;
    if (!c.u8(curve_type)) return malformed("an empty ServerKeyExchange");
    if (curve_type != 3) return {};  // not a named curve: nothing the device could use
    if (!c.u16(f.group) || !c.vec8(point) || !c.u16(f.server_signature))
        return malformed("a truncated ServerKeyExchange");
    return {};
}

/// CertificateRequest (RFC 5246 §7.4.4).
ParseResult parse_certificate_request(Bytes body, ServerFlight& f) {
    Cursor c(body);
    Bytes types, schemes, names;
    if (!c.vec8(types) || !c.vec16(schemes) || !c.vec16(names) || c.left() != 0)
        return malformed("a CertificateRequest with a wrong length");
    f.certificate_request = true;
    f.certificate_types.assign(types.begin(), types.end());
    if (!read_u16_list(schemes, f.client_signature_algorithms))
        return malformed("a CertificateRequest with an odd signature algorithm list");
    Cursor n(names);
    while (n.left() > 0) {
        Bytes dn;
        if (!n.vec16(dn)) return malformed("a truncated CA name in the CertificateRequest");
        if (f.ca_names.size() < kMaxListEntries) f.ca_names.emplace_back(dn.begin(), dn.end());
    }
    return {};
}

}  // namespace

std::vector<SuiteInfo> device_suites(bool tls13) {
    std::vector<SuiteInfo> out;
    for (const auto& s : kSuites)
        if ((s.kx == KeyExchange::tls13) == tls13) out.push_back(s);
    return out;
}

const SuiteInfo* suite_info(std::uint16_t id) {
    for (const auto& s : kSuites)
        if (s.id == id) return &s;
    return nullptr;
}

std::vector<GroupInfo> device_groups(bool tls13) {
    std::vector<GroupInfo> out;
    for (const auto& g : kGroups)
        if (tls13 ? g.tls13 : g.tls12) out.push_back(g);
    return out;
}

std::vector<std::uint16_t> device_signature_algorithms() {
    return {0x0403, 0x0503, 0x0603, 0x081A, 0x081B, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601};
}

std::vector<std::uint8_t> client_hello(const HelloOffer& offer, const std::uint8_t (&random)[32]) {
    std::vector<std::uint8_t> ext;
    unsigned char ip[16];
    const std::string& host = offer.server_name;
    if (!host.empty() && host.size() < 256 && ::inet_pton(AF_INET, host.c_str(), ip) != 1 &&
        ::inet_pton(AF_INET6, host.c_str(), ip) != 1) {
        std::vector<std::uint8_t> sni;  // RFC 6066 §3
        put16(sni, host.size() + 3);
        put8(sni, 0);
        put16(sni, host.size());
        sni.insert(sni.end(), host.begin(), host.end());
        extension(ext, 0x0000, sni);
    }
    extension(ext, 0x000A, list16(offer.groups));
    extension(ext, 0x000D, list16(offer.signature_algorithms));
    if (offer.tls13) {
        extension(ext, 0x002B, {2, 0x03, 0x04});  // supported_versions: TLS 1.3 only
        extension(ext, 0x0033, {0, 0});           // key_share: none, so the server names its group (HRR)
    } else {
        extension(ext, 0x000B, {1, 0});  // ec_point_formats: uncompressed
        extension(ext, 0x0017, {});      // extended_master_secret
        extension(ext, 0xFF01, {0});     // renegotiation_info (initial)
    }
    std::vector<std::uint8_t> body = {0x03, 0x03};
    body.insert(body.end(), std::begin(random), std::end(random));
    put8(body, 0);  // no session id
    put16(body, 2 * offer.suites.size());
    for (const auto s : offer.suites) put16(body, s);
    body.insert(body.end(), {0x01, 0x00});  // null compression only
    put16(body, ext.size());
    body.insert(body.end(), ext.begin(), ext.end());

    std::vector<std::uint8_t> rec = {0x16, 0x03, 0x01};
    put16(rec, body.size() + 4);
    put8(rec, 0x01);  // client_hello
    put24(rec, body.size());
    rec.insert(rec.end(), body.begin(), body.end());
    return rec;
}

ParseResult parse_server_flight(Bytes bytes, ServerFlight& f) {
    f = ServerFlight{};
    if (bytes.size() > kMaxFlightBytes) return malformed("the server's first flight is larger than 128 KiB");
    // Records: the handshake ones' payloads make one stream of handshake messages.
    std::vector<std::uint8_t> hs;
    Cursor r(bytes);
    while (r.left() > 0) {
        std::uint8_t type = 0;
        std::uint16_t version = 0, length = 0;
        Bytes payload;
        if (!r.u8(type) || !r.u16(version) || !r.u16(length)) break;  // a record still arriving
        if (type < 20 || type > 23 || (version >> 8) != 0x03) return malformed("not a TLS record");
        if (length > 16384 + 2048) return malformed("a TLS record longer than the protocol allows");
        if (!r.take(length, payload)) break;
        if (type == 21) {  // alert: level, description
            if (payload.size() < 2) return malformed("a truncated alert");
            f.alert = payload[1];
            return {ParseState::complete, {}};
        }
        if (type == 23) {  // application data: encrypted
            if (!f.server_hello || f.version != kTls13) return malformed("application data before the handshake");
            f.encrypted = true;
            return {ParseState::complete, {}};
        }
        if (type == 22) hs.insert(hs.end(), payload.begin(), payload.end());
    }
    Cursor h(hs);
    bool first = true;
    while (h.left() > 0) {
        std::uint8_t type = 0;
        std::uint32_t length = 0;
        Bytes body;
        if (!h.u8(type) || !h.u24(length)) break;
        if (length > kMaxFlightBytes) return malformed("a handshake message longer than 128 KiB");
        if (!h.take(length, body)) break;
        if (first && type != 2) return malformed("the server's first handshake message is not a ServerHello");
        first = false;
        ParseResult step;
        switch (type) {
            case 2: step = parse_server_hello(body, f); break;
            case 11:
                if (f.version != kTls13) step = parse_certificate(body, f);
                break;
            case 12: step = parse_server_key_exchange(body, f); break;
            case 13:
                if (f.version != kTls13) step = parse_certificate_request(body, f);
                break;
            case 14: f.done = true; break;
            default: break;
        }
        if (step.state == ParseState::malformed) return step;
        if (type == 2 && (f.hello_retry || f.version == kTls13)) {
            f.encrypted = !f.hello_retry;
            return {ParseState::complete, {}};
        }
        if (f.done) return {ParseState::complete, {}};
    }
    return {};
}

std::string suite_name(std::uint16_t suite) {
    if (const auto* s = suite_info(suite)) return s->name;
    return hex16(suite);
}

std::string group_name(std::uint16_t group) {
    for (const auto& g : kGroups)
        if (g.id == group) return g.name;
    return hex16(group);
}

std::string signature_name(std::uint16_t scheme) {
    for (const auto& s : kSchemes)
        if (s.id == scheme) return s.name;
    return hex16(scheme);
}

std::string version_name(std::uint16_t version) {
    switch (version) {
        case 0x0301: return "TLS 1.0";
        case 0x0302: return "TLS 1.1";
        case kTls12: return "TLS 1.2";
        case kTls13: return "TLS 1.3";
        default: return hex16(version);
    }
}

}  // namespace sebind::doctor
