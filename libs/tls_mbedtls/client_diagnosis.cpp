// SPDX-License-Identifier: Apache-2.0
// Why a handshake failed, in terms a device engineer can act on: the mbedTLS error, the alert,
// the certificate verification flags, the chip's last status, and a second look at the server.
#include <cstdio>
#include <cstring>
#include <string>

#include <mbedtls/error.h>

#include "client_internal.hpp"
#include "sebind/mbedtls_util/cert_text.hpp"
#include "sebind/mbedtls_util/curves.hpp"
#include "sebind/mbedtls_util/se_key.hpp"
#include "sebind/tls/host_name.hpp"

namespace sebind::tls_mbedtls {

using namespace tls;           // the stack-neutral report, diagnoses, TCP connect and host-name rule
using namespace mbedtls_util;  // the chip key as an mbedtls_pk_context, the curve mapping

void set_stack_failure(Diagnosis& d, int rc, const std::string& what, std::string fix) {
    char text[160];
    mbedtls_strerror(rc, text, sizeof text);
    set_diagnosis(d, Failure::protocol_error, what + ": " + text, std::move(fix));
    d.stack_error = rc;
}

namespace {

/// True for a suite with static RSA key exchange, by mbedTLS's name ("TLS-RSA-WITH-...").
bool is_static_rsa_suite(const char* name) { return name != nullptr && std::strncmp(name, "TLS-RSA-WITH-", 13) == 0; }

/// A second, permissive handshake that learns what the server wanted: the suite it chooses when
/// allowed every one.
void probe_server(const ClientOptions& o, Diagnosis& d) {
    ClientContext::Impl permissive;
    Connection probe;
    Diagnosis ignored;
    if (!permissive.setup(o, true, false, ignored).ok() || probe.setup(permissive) != 0 || probe.open_tcp(o) != 0)
        return;
    const int rc = probe.handshake(std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms));
    // The server may still refuse the probe (it has no client certificate) after sending its own.
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&probe.ssl);
    if (!peer && probe.ssl.session_negotiate) peer = probe.ssl.session_negotiate->peer_cert;
    const char* suite = peer && probe.ssl.session_negotiate
                            ? mbedtls_ssl_get_ciphersuite_name(probe.ssl.session_negotiate->ciphersuite)
                            : (rc == 0 ? mbedtls_ssl_get_ciphersuite(&probe.ssl) : nullptr);
    if (is_static_rsa_suite(suite)) {
        diagnoses::rsa_key_exchange_only(d, suite);
        return;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        diagnoses::no_shared_ecdhe_suite(d, suite, false);  // mbedTLS 2.28 speaks TLS 1.2 only
}

/// The curve of our certificate's key ("P-256", "brainpoolP256r1"), or "" when not a chip curve.
std::string own_key_curve(const ClientOptions& o) {
    if (o.own_chain == nullptr || mbedtls_pk_get_type(&o.own_chain->pk) != MBEDTLS_PK_ECKEY) return "";
    const mbedtls_ecp_keypair* ec = mbedtls_pk_ec(o.own_chain->pk);
    if (ec == nullptr) return "";
    const auto curve = mbedtls_util::curve_of(ec->grp.id);
    return curve ? stsafe::curve_info(*curve).name : "";
}

}  // namespace

void diagnose(const ClientOptions& o, Connection& c, int rc, Diagnosis& d) {
    d = Diagnosis{};
    d.stack_error = rc;
    const std::string where = o.host + ":" + std::to_string(o.port);
    if (o.own_key) {
        const Status chip = se_key_last_error(*o.own_key);
        if (!chip.ok()) {
            diagnoses::chip_failed_signing(d, to_string(chip.code()));
            return;
        }
    }
    if (c.tcp_error != TcpError::none) {
        const std::string& dialled = o.connect_address.empty() ? o.host : o.connect_address;
        diagnoses::tcp_failure(d, c.tcp_error, dialled, dialled + ":" + std::to_string(o.port), o.timeout_ms,
                               c.resolver_error);
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_TIMEOUT) {
        set_diagnosis(d, Failure::timeout,
                      "no answer from " + where + " within " + std::to_string(o.timeout_ms) + " ms",
                      "check the port speaks TLS and the network path");
        return;
    }
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        d.verify_flags = mbedtls_ssl_get_verify_result(&c.ssl);
        const std::string issuer = c.peer_issuer.empty() ? "?" : c.peer_issuer;
        if (d.verify_flags & MBEDTLS_X509_BADCERT_EXPIRED) {
            diagnoses::server_cert_expired(d, c.peer_seen ? mbedtls_util::iso_date(c.peer_valid_to) : "?");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_FUTURE) {
            diagnoses::server_cert_not_yet_valid(d, c.peer_seen ? mbedtls_util::iso_date(c.peer_valid_from) : "?");
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
            diagnoses::untrusted_server(d, issuer, o.ca_file);
        } else if (d.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
            diagnoses::hostname_mismatch(d, o.host);
        } else {
            set_diagnosis(d, Failure::untrusted_server, "the server's certificate does not verify",
                          "check the broker's certificate chain and --ca");
        }
        return;
    }
    const bool sent_our_certificate = c.ssl.state > MBEDTLS_SSL_CLIENT_CERTIFICATE;
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c.ssl.in_msg) d.alert = c.ssl.in_msg[1];
    if (sent_our_certificate && (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || rc == MBEDTLS_ERR_NET_CONN_RESET ||
                                 rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)) {
        const std::string curve = own_key_curve(o);
        if (diagnoses::curve_refused(curve, d.alert)) {
            diagnoses::client_curve_refused(d, curve, d.alert ? alert_name(d.alert) : "");
            return;
        }
        diagnoses::client_cert_rejected(d, d.alert ? alert_name(d.alert) : "");
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION) {
        diagnoses::no_common_version(d, diagnoses::Offered::tls12);  // mbedTLS 2.28 offers TLS 1.2 only
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL &&
        !o.alpn.empty()) {
        diagnoses::alpn_refused(d, o.alpn);
        d.alert = MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL;
        return;
    }
    if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && d.alert == 40) {
        probe_server(o, d);
        if (d.failure != Failure::none) return;
    }
    set_stack_failure(d, rc, "TLS handshake failed", "run with --verbose and check the broker's log");
}

}  // namespace sebind::tls_mbedtls
