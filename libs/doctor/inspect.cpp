// SPDX-License-Identifier: Apache-2.0
// The server's certificate chain and the chip's slot, read for the diagnosis.
#include <mbedtls/oid.h>
#include <mbedtls/platform.h>
#include <mbedtls/x509_crt.h>

#include "sebind/doctor/diagnose.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/tls/host_name.hpp"
#include "sebind/tls_mbedtls/client.hpp"

namespace sebind::doctor {

namespace {

struct Crt {
    mbedtls_x509_crt c;
    Crt() { mbedtls_x509_crt_init(&c); }
    ~Crt() { mbedtls_x509_crt_free(&c); }
    Crt(const Crt&) = delete;
    Crt& operator=(const Crt&) = delete;
};

std::string name_text(const mbedtls_x509_name& name) {
    char buf[512];
    return mbedtls_x509_dn_gets(buf, sizeof buf, &name) > 0 ? buf : "";
}

/// The TLS group code point of an mbedTLS curve (RFC 8422 §5.1.1, RFC 7027).
std::uint16_t tls_group(mbedtls_ecp_group_id id) {
    switch (id) {
        case MBEDTLS_ECP_DP_SECP256R1: return 0x0017;
        case MBEDTLS_ECP_DP_SECP384R1: return 0x0018;
        case MBEDTLS_ECP_DP_SECP521R1: return 0x0019;
        case MBEDTLS_ECP_DP_BP256R1: return 0x001A;
        case MBEDTLS_ECP_DP_BP384R1: return 0x001B;
        default: return 0;
    }
}

}  // namespace

std::string dn_text(const std::vector<std::uint8_t>& der) {
    auto* p = const_cast<unsigned char*>(der.data());
    const unsigned char* end = der.data() + der.size();
    std::size_t len = 0;
    if (der.empty() || mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
        return "";
    mbedtls_x509_name name{};
    const int rc = mbedtls_x509_get_name(&p, p + len, &name);
    std::string text = rc == 0 ? name_text(name) : "";
    // Every entry after the first is allocated by the parser (as mbedtls_x509_crt_free frees them).
    for (mbedtls_x509_name* n = name.next; n != nullptr;) {
        mbedtls_x509_name* next = n->next;
        mbedtls_free(n);
        n = next;
    }
    return text;
}

bool inspect_server_certificate(const std::vector<std::vector<std::uint8_t>>& chain, const std::string& ca_file,
                                const std::string& host, ServerCertificate& out, tls::Diagnosis& diagnosis) {
    out = ServerCertificate{};
    Crt ca;
    if (!tls_mbedtls::load_certificate_file("CA file", ca_file, ca.c, diagnosis)) return false;
    if (chain.empty()) return true;
    Crt crt;
    for (const auto& der : chain)
        if (mbedtls_x509_crt_parse_der(&crt.c, der.data(), der.size()) != 0) {
            out.present = true;
            out.verify_error = "the server sent a certificate that does not parse";
            return true;
        }
    out.present = true;
    const mbedtls_x509_crt& leaf = crt.c;
    out.subject = name_text(leaf.subject);
    out.issuer = name_text(leaf.issuer);
    if (mbedtls_pk_get_type(&leaf.pk) == MBEDTLS_PK_ECKEY || mbedtls_pk_get_type(&leaf.pk) == MBEDTLS_PK_ECDSA) {
        const mbedtls_ecp_group_id id = mbedtls_pk_ec(leaf.pk)->grp.id;
        const auto* info = mbedtls_ecp_curve_info_from_grp_id(id);
        out.key_group = tls_group(id);
        out.key = std::string("EC ") + (out.key_group != 0 ? group_name(out.key_group) : info ? info->name : "?");
    } else if (mbedtls_pk_get_type(&leaf.pk) == MBEDTLS_PK_RSA) {
        out.rsa = true;
        out.key = "RSA-" + std::to_string(mbedtls_pk_get_bitlen(&leaf.pk));
    } else {
        out.key = mbedtls_pk_get_name(&leaf.pk);
    }
    for (const mbedtls_x509_crt* c = &crt.c; c != nullptr && c->raw.p != nullptr; c = c->next)
        if (c->sig_md == MBEDTLS_MD_SHA384) out.signed_sha384 = true;
    std::uint32_t flags = 0;
    const int rc = mbedtls_x509_crt_verify(&crt.c, &ca.c, nullptr, nullptr, &flags, nullptr, nullptr);
    out.verifies = rc == 0;
    if (!out.verifies) {
        char info[512] = {0};
        if (flags != 0 && mbedtls_x509_crt_verify_info(info, sizeof info, "", flags) > 0) {
            std::string text = info;
            for (char& ch : text)
                if (ch == '\n') ch = ';';
            while (!text.empty() && (text.back() == ';' || text.back() == ' ')) text.pop_back();
            out.verify_error = text;
        } else {
            out.verify_error = "mbedTLS error " + std::to_string(rc);
        }
    }
    out.names_host = tls::certificate_names_host(mbedtls_util::certificate_names(leaf), host);
    return true;
}

Status inspect_chip(stsafe::Device& device, std::uint8_t slot, std::uint8_t zone, ChipSlot& out) {
    out = ChipSlot{};
    out.inspected = true;
    out.slot = slot;
    out.zone = zone;
    auto curve = device.slot_curve(slot);
    if (!curve) {
        if (curve.status().code() != Errc::does_not_exist) return curve.status();
        out.problem = "slot " + std::to_string(slot) + " holds no key — run `sebind keygen --slot " +
                      std::to_string(slot) + "` (docs/provisioning.md)";
        return Status::success();
    }
    out.curve = *curve;
    auto stored = identity::read_certificate(device, zone);
    if (!stored) {
        if (stored.status().code() != Errc::does_not_exist) return stored.status();
        out.problem = "zone " + std::to_string(zone) + " holds no certificate for slot " + std::to_string(slot) +
                      " — provision one (docs/provisioning.md)";
        return Status::success();
    }
    out.has_certificate = true;
    Crt crt;
    if (mbedtls_x509_crt_parse_der(&crt.c, stored->der.data(), stored->der.size()) != 0) {
        out.problem = "the certificate in zone " + std::to_string(zone) + " does not parse — store it again";
        return Status::success();
    }
    out.subject = name_text(crt.c.subject);
    out.issuer = name_text(crt.c.issuer);
    out.issuer_der.assign(crt.c.issuer_raw.p, crt.c.issuer_raw.p + crt.c.issuer_raw.len);
    const Status pair = identity::verify_pair(device, slot, stored->der);
    if (pair.ok()) {
        out.pairs = true;
    } else if (pair.code() == Errc::invalid_signature ||
               (pair.code() == Errc::invalid_argument && !pair.device_status())) {
        out.problem = "the certificate in zone " + std::to_string(zone) + " (" +
                      identity::certificate_key_name(stored->der) + ") is not the one of slot " + std::to_string(slot) +
                      "'s key — store the certificate issued for "
                      "this slot's key (`sebind verify-pair` checks a pair)";
    } else {
        return pair;
    }
    return Status::success();
}

}  // namespace sebind::doctor
