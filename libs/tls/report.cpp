// SPDX-License-Identifier: Apache-2.0
#include "sebind/tls/report.hpp"

#include <utility>

namespace sebind::tls {

void set_diagnosis(Diagnosis& d, Failure f, std::string cause, std::string fix) {
    d.failure = f;
    d.cause = std::move(cause);
    d.fix = std::move(fix);
}

std::string alert_name(std::uint8_t code) {
    switch (code) {
        case 0: return "close_notify";
        case 10: return "unexpected_message";
        case 20: return "bad_record_mac";
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 43: return "unsupported_certificate";
        case 44: return "certificate_revoked";
        case 45: return "certificate_expired";
        case 46: return "certificate_unknown";
        case 47: return "illegal_parameter";
        case 48: return "unknown_ca";
        case 49: return "access_denied";
        case 50: return "decode_error";
        case 51: return "decrypt_error";
        case 70: return "protocol_version";
        case 71: return "insufficient_security";
        case 80: return "internal_error";
        case 86: return "inappropriate_fallback";
        case 90: return "user_canceled";
        case 109: return "missing_extension";
        case 110: return "unsupported_extension";
        case 112: return "unrecognized_name";
        case 116: return "certificate_required";
        case 120: return "no_application_protocol";
        default: return "alert " + std::to_string(code);
    }
}

namespace diagnoses {

void refused(Diagnosis& d, const std::string& where) {
    set_diagnosis(d, Failure::not_listening, "nothing accepts connections on " + where,
                  "start the broker, or check --host and --port");
}

void chip_failed_signing(Diagnosis& d, const char* status) {
    set_diagnosis(d, Failure::chip_error, std::string("the secure element failed while signing (") + status + ")",
                  "check the chip with `sebind info`; a busy chip needs a longer timeout, a faulty one a power cycle");
}

void server_cert_expired(Diagnosis& d, const std::string& not_after) {
    set_diagnosis(d, Failure::server_cert_expired,
                  "the server's certificate is outside its validity (until " + not_after + ")",
                  "renew the broker's certificate (or check the device clock)");
}

void server_cert_not_yet_valid(Diagnosis& d, const std::string& not_before) {
    set_diagnosis(d, Failure::server_cert_expired, "the server's certificate is not valid before " + not_before,
                  "check the device clock (or the broker's certificate)");
}

void untrusted_server(Diagnosis& d, const std::string& issuer, const std::string& ca_file) {
    set_diagnosis(d, Failure::untrusted_server,
                  "the server's certificate" + (issuer.empty() ? std::string() : " (issuer " + issuer + ")") +
                      " is not signed by the CA in " + ca_file,
                  "pass the CA that issued the broker's certificate with --ca");
}

void client_cert_rejected(Diagnosis& d, const std::string& alert) {
    set_diagnosis(d, Failure::client_cert_rejected,
                  "the server rejected our certificate" + (alert.empty() ? std::string() : " (alert " + alert + ")"),
                  "run `sebind verify-pair`, and check the broker trusts the CA that issued the device certificate "
                  "(one issued by an intermediate needs its chain: --chain, or chain_file in device.toml)");
}

void rsa_key_exchange_only(Diagnosis& d, const std::string& chosen) {
    set_diagnosis(d, Failure::rsa_key_exchange_only,
                  "the server offers only RSA key exchange without forward secrecy (it chose " + chosen + ")",
                  "allow an ECDHE suite on the broker (e.g. ECDHE-RSA-AES128-GCM-SHA256 with its RSA certificate)");
}

void alpn_refused(Diagnosis& d, const std::vector<std::string>& offered) {
    std::string list;
    for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p;
    set_diagnosis(d, Failure::protocol_error, "the server accepts none of the offered ALPN protocols (" + list + ")",
                  "offer the protocol the broker expects with --alpn (device.toml: alpn), e.g. x-amzn-mqtt-ca for AWS "
                  "IoT on port 443");
}

void no_shared_cipher(Diagnosis& d, const char* chosen, std::string fix) {
    const bool named = chosen != nullptr && *chosen != '\0';
    set_diagnosis(d, Failure::no_shared_cipher,
                  std::string("no cipher suite in common: the server ") +
                      (named ? std::string("chose ") + chosen : "accepted none of ours"),
                  std::move(fix));
}

void no_shared_ecdhe_suite(Diagnosis& d, const char* chosen, bool tls13_possible) {
    no_shared_cipher(d, chosen,
                     std::string("allow an ECDHE AES-GCM suite on the server (e.g. ECDHE-ECDSA-AES128-GCM-SHA256, or "
                                 "ECDHE-RSA-AES128-GCM-SHA256 for an RSA certificate)") +
                         (tls13_possible ? ", or TLS 1.3" : ""));
}

void no_common_version(Diagnosis& d, Offered offered) {
    switch (offered) {
        case Offered::tls12:
            set_diagnosis(
                d, Failure::no_common_version,
                "the server accepts only TLS 1.3; this client offered TLS 1.2 (alert protocol_version)",
                "use --stack wolfssl --tls 1.3 (mbedTLS 2.28 speaks TLS 1.2 only), or allow TLS 1.2 on the broker");
            return;
        case Offered::tls13:
            set_diagnosis(
                d, Failure::no_common_version,
                "the server does not accept TLS 1.3; this client offered only TLS 1.3 (alert protocol_version)",
                "leave out --tls 1.3 (or use --tls 1.2), or allow TLS 1.3 on the broker");
            return;
        case Offered::tls12_and_13:
            set_diagnosis(d, Failure::no_common_version,
                          "the server accepts neither TLS 1.2 nor TLS 1.3 (alert protocol_version)",
                          "allow TLS 1.2 or 1.3 on the broker");
            return;
    }
}

}  // namespace diagnoses

}  // namespace sebind::tls
