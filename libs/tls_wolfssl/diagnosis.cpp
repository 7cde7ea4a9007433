// SPDX-License-Identifier: Apache-2.0
// The diagnosis of failed wolfSSL connections: what went wrong, and what to change. Same
// categories as the mbedTLS client; the wording both share is tls::diagnoses (report.hpp).
#include "diagnosis.hpp"

#include <cstdio>

#include "sebind/tls/host_name.hpp"
#include "sebind/tls/rsa_probe.hpp"

namespace sebind::tls_wolfssl {

namespace {

std::string where(const ClientOptions& o) { return o.host + ":" + std::to_string(o.port); }

std::string alert_name(int code) { return tls::alert_name(static_cast<std::uint8_t>(code)); }

std::string name_text(WOLFSSL_X509_NAME* name) {
    std::string out;
    WOLFSSL_BIO* bio = wolfSSL_BIO_new(wolfSSL_BIO_s_mem());
    if (bio == nullptr) return out;
    if (name != nullptr && wolfSSL_X509_NAME_print_ex(bio, name, 0, 0) == WOLFSSL_SUCCESS) {
        char* data = nullptr;
        const int n = wolfSSL_BIO_get_mem_data(bio, &data);
        if (n > 0 && data != nullptr) out.assign(data, static_cast<std::size_t>(n));
    }
    wolfSSL_BIO_free(bio);
    return out;
}

/// "YYYY-MM-DD" from an X.509 UTCTime ("YYMMDD...", RFC 5280 §4.1.2.5.1: 50..99 = 19xx) or
/// GeneralizedTime ("YYYYMMDD...").
std::string date_text(WOLFSSL_ASN1_TIME* t) {
    if (t == nullptr) return "?";
    const std::string s(reinterpret_cast<const char*>(t->data),
                        static_cast<std::size_t>(t->length > 0 ? t->length : 0));
    std::string year, rest;
    if (t->type == V_ASN1_UTCTIME && s.size() >= 6) {
        year = (s[0] >= '5' ? "19" : "20") + s.substr(0, 2);
        rest = s.substr(2, 4);
    } else if (t->type == V_ASN1_GENERALIZEDTIME && s.size() >= 8) {
        year = s.substr(0, 4);
        rest = s.substr(4, 4);
    } else {
        return "?";
    }
    return year + "-" + rest.substr(0, 2) + "-" + rest.substr(2, 2);
}

bool is_certificate_alert(int a) {
    switch (a) {
        case bad_certificate:
        case unsupported_certificate:
        case certificate_revoked:
        case certificate_expired:
        case certificate_unknown:
        case unknown_ca:
        case access_denied:
        case decrypt_error:
        case certificate_required: return true;
        default: return false;
    }
}

int last_alert(WOLFSSL* ssl) {
    WOLFSSL_ALERT_HISTORY h{};
    if (ssl == nullptr || wolfSSL_get_alert_history(ssl, &h) != WOLFSSL_SUCCESS) return 0;
    return h.last_rx.level == alert_fatal ? h.last_rx.code : 0;
}

void client_cert_rejected(const ClientOptions& o, int alert, tls::Diagnosis& d) {
    if (o.device == nullptr || o.chain.empty()) {
        tls::set_diagnosis(
            d, tls::Failure::client_cert_rejected,
            "the server requires a client certificate" + (alert ? " (alert " + alert_name(alert) + ")" : std::string()),
            "give the client the device certificate and its chip slot");
        return;
    }
    const auto leaf = leaf_key(o.chain.front());
    const std::string curve = leaf ? stsafe::curve_info(leaf->curve).name : "";
    if (tls::diagnoses::curve_refused(curve, static_cast<std::uint8_t>(alert))) {
        tls::diagnoses::client_curve_refused(d, curve, alert ? alert_name(alert) : std::string());
        return;
    }
    tls::diagnoses::client_cert_rejected(d, alert ? alert_name(alert) : std::string());
}

/// A second, permissive handshake that learns what the server wanted (the suite it chooses), and
/// when it chooses none, a third look for a server that has only static RSA key exchange.
void probe_server(const ClientOptions& o, bool max_tls12, tls::Diagnosis& d) {
    Connection probe;
    std::string what;
    const std::uint32_t deadline = host::monotonic_ms() + o.timeout_ms;
    if (probe.setup(o, Mode::probe, max_tls12, nullptr, what) != WOLFSSL_SUCCESS) return;
    if (probe.open_tcp(o, deadline) != TcpError::none) return;
    const int rc = probe.handshake(deadline);
    // The server may refuse the probe (it has no client certificate) after sending its own.
    const auto peer = peer_certificate(probe.ssl);
    if (rc == 0 || peer) {
        const char* suite = wolfSSL_get_cipher_name(probe.ssl);
        const bool named = suite != nullptr && std::string(suite) != "None";
        tls::diagnoses::no_shared_ecdhe_suite(d, named ? suite : nullptr, true);
        return;
    }
    // This wolfSSL has no static RSA suites to probe with: offer those alone.
    const std::string rsa = tls::static_rsa_choice(o.host, o.port, o.timeout_ms);
    if (!rsa.empty()) tls::diagnoses::rsa_key_exchange_only(d, rsa);
}

bool verification_failure(const ClientOptions& o, Connection& c, int err, tls::Diagnosis& d) {
    const auto peer = peer_certificate(c.ssl);
    if (c.name_mismatch) {
        tls::diagnoses::hostname_mismatch(d, o.host);
        return true;
    }
    switch (err) {
        case ASN_AFTER_DATE_E: tls::diagnoses::server_cert_expired(d, peer ? peer->not_after : "?"); return true;
        case ASN_BEFORE_DATE_E:
            tls::diagnoses::server_cert_not_yet_valid(d, peer ? peer->not_before : "?");
            return true;
        case ASN_NO_SIGNER_E:
        case ASN_SELF_SIGNED_E:
        case ASN_SIG_CONFIRM_E:
        case ASN_PATHLEN_INV_E:
        case ASN_PATHLEN_SIZE_E:
        case VERIFY_CERT_ERROR:
            tls::diagnoses::untrusted_server(d, peer ? peer->issuer : std::string(), o.ca_file);
            return true;
        default: return false;
    }
}

}  // namespace

std::optional<PeerCertificate> peer_certificate(WOLFSSL* ssl) {
    // With OPENSSL_EXTRA, wolfSSL_get_peer_certificate returns a copy the caller frees.
    WOLFSSL_X509* x = ssl ? wolfSSL_get_peer_certificate(ssl) : nullptr;
    if (x == nullptr) return std::nullopt;
    PeerCertificate p;
    p.subject = name_text(wolfSSL_X509_get_subject_name(x));
    p.issuer = name_text(wolfSSL_X509_get_issuer_name(x));
    p.not_before = date_text(wolfSSL_X509_get_notBefore(x));
    p.not_after = date_text(wolfSSL_X509_get_notAfter(x));
    wolfSSL_X509_free(x);
    return p;
}

void diagnose_handshake(const ClientOptions& o, Connection& c, int err, tls::Diagnosis& d) {
    d = tls::Diagnosis{};
    d.stack_error = err;
    if (!c.signer.last_error.ok()) {
        tls::diagnoses::chip_failed_signing(d, to_string(c.signer.last_error.code()));
        return;
    }
    if (c.timed_out) {
        tls::set_diagnosis(d, tls::Failure::timeout,
                           "no TLS answer from " + where(o) + " within " + std::to_string(o.timeout_ms) + " ms",
                           "check the port speaks TLS and the network path");
        return;
    }
    if (verification_failure(o, c, err, d)) return;
    const int alert = last_alert(c.ssl);
    d.alert = static_cast<std::uint8_t>(alert);
    // Our CertificateVerify was signed: the server saw our certificate, and what ends the
    // handshake now is its judgement of it (an alert, or a plain reset).
    const bool sent_our_certificate = c.signer.signatures > 0;
    if ((alert != 0 && is_certificate_alert(alert)) ||
        (sent_our_certificate && (err == FATAL_ERROR || c.io.peer_closed || c.io.peer_reset || err == SOCKET_ERROR_E ||
                                  err == SOCKET_PEER_CLOSED_E))) {
        client_cert_rejected(o, alert, d);
        return;
    }
    if (alert == protocol_version || err == VERSION_ERROR) {
        using tls::diagnoses::Offered;
        tls::diagnoses::no_common_version(d, c.max_tls12 || o.versions == TlsVersions::tls12_only ? Offered::tls12
                                             : o.versions == TlsVersions::tls13_only              ? Offered::tls13
                                                                                     : Offered::tls12_and_13);
        return;
    }
    if (alert == no_application_protocol && !o.alpn.empty()) {
        tls::diagnoses::alpn_refused(d, o.alpn);
        d.alert = static_cast<std::uint8_t>(alert);
        return;
    }
    if (alert == handshake_failure || alert == insufficient_security || err == MATCH_SUITE_ERROR) {
        probe_server(o, c.max_tls12, d);
        if (d.failure != tls::Failure::none) return;
    }
    if (c.io.peer_closed || c.io.peer_reset || err == SOCKET_PEER_CLOSED_E) {
        tls::set_diagnosis(d, tls::Failure::protocol_error, "the server closed the connection during the handshake",
                           "check the port speaks TLS, and the broker's log");
        return;
    }
    char text[128];
    wolfSSL_ERR_error_string_n(static_cast<unsigned long>(err), text, sizeof text);
    tls::set_diagnosis(
        d, tls::Failure::protocol_error,
        std::string("TLS handshake failed: ") + text + (alert ? " (alert " + alert_name(alert) + ")" : std::string()),
        "check the broker's log");
}

void diagnose_after_handshake(const ClientOptions& o, Connection& c, int err, bool tls13_first_records,
                              tls::Diagnosis& d) {
    d = tls::Diagnosis{};
    d.stack_error = err;
    const int alert = last_alert(c.ssl);
    d.alert = static_cast<std::uint8_t>(alert);
    // TLS 1.3 (RFC 8446 §4.4.2, §6.2): the server checks our certificate after our Finished,
    // when the client already counts the handshake as done; a refusal is its first record.
    if (tls13_first_records && (is_certificate_alert(alert) || (alert == 0 && (c.io.peer_closed || c.io.peer_reset)))) {
        client_cert_rejected(o, alert, d);
        return;
    }
    if (alert != 0) {
        tls::set_diagnosis(d, tls::Failure::protocol_error,
                           "the server ended the connection with alert " + alert_name(alert), "check the broker's log");
        return;
    }
    tls::set_diagnosis(d, tls::Failure::protocol_error, "the connection to " + where(o) + " broke",
                       "reconnect; check the broker's log if it repeats");
}

}  // namespace sebind::tls_wolfssl
