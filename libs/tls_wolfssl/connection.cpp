// SPDX-License-Identifier: Apache-2.0
// wolfSSL context/session setup for the chip key, a non-blocking socket with deadlines, and the
// handshake loop.
#include "connection.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sebind/tls/host_name.hpp"

namespace sebind::tls_wolfssl {

namespace {

// TLS 1.3 suites, then for TLS 1.2 ECDHE with an ECDSA or an RSA server certificate (the chip
// signs our CertificateVerify either way). No static RSA key exchange: it has no forward secrecy,
// and such a server is diagnosed as that.
constexpr const char* kCipherList =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384";
// Signature algorithms we accept from the server and may use ourselves; no SHA-1 or SHA-224.
// RSA stays: TLS 1.3 servers may have RSA certificates, and CAs sign with RSA.
constexpr const char* kSigAlgs =
    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:RSA-PSS+SHA256:RSA-PSS+SHA384:RSA-PSS+SHA512:"
    "RSA+SHA256:RSA+SHA384:RSA+SHA512";
// X25519 and P-256 first (the library default starts with P-521, which a server honouring the
// client's order then pays for); the first entry is also the TLS 1.3 key share sent up front.
int kGroups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1, WOLFSSL_ECC_BRAINPOOLP256R1,
                 WOLFSSL_ECC_BRAINPOOLP384R1};

int io_recv(WOLFSSL*, char* buf, int size, void* ctx) {
    auto* io = static_cast<Io*>(ctx);
    const ssize_t n = ::recv(io->fd, buf, static_cast<std::size_t>(size), MSG_DONTWAIT);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
        io->peer_closed = true;
        return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    }
    io->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WOLFSSL_CBIO_ERR_WANT_READ;
    if (errno == EINTR) return WOLFSSL_CBIO_ERR_ISR;
    if (errno == ECONNRESET) {
        io->peer_reset = true;
        return WOLFSSL_CBIO_ERR_CONN_RST;
    }
    return WOLFSSL_CBIO_ERR_GENERAL;
}

int io_send(WOLFSSL*, char* buf, int size, void* ctx) {
    auto* io = static_cast<Io*>(ctx);
    const ssize_t n = ::send(io->fd, buf, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    io->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WOLFSSL_CBIO_ERR_WANT_WRITE;
    if (errno == EINTR) return WOLFSSL_CBIO_ERR_ISR;
    if (errno == EPIPE || errno == ECONNRESET) {
        io->peer_reset = true;
        return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    }
    return WOLFSSL_CBIO_ERR_GENERAL;
}

int on_ticket(WOLFSSL*, const unsigned char*, int, void* ctx) {
    static_cast<Connection*>(ctx)->ticket_arrived = true;
    return 0;
}

std::string asn1_text(WOLFSSL_ASN1_STRING* s) {
    const unsigned char* p = s ? wolfSSL_ASN1_STRING_get0_data(s) : nullptr;
    const int n = s ? wolfSSL_ASN1_STRING_length(s) : 0;
    return p != nullptr && n > 0 ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
                                 : std::string();
}

// GeneralName choices (RFC 5280 §4.2.1.6), as the type of a WOLFSSL_GENERAL_NAME.
constexpr int kDnsName = 2;
constexpr int kIpAddress = 7;

/// The names a certificate presents: subjectAltName dNSName and iPAddress entries, subject CNs.
tls::CertificateNames names_of(WOLFSSL_X509* x) {
    tls::CertificateNames names;
    auto* sans = static_cast<WOLFSSL_GENERAL_NAMES*>(
        wolfSSL_X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < wolfSSL_sk_GENERAL_NAME_num(sans); ++i) {
        const WOLFSSL_GENERAL_NAME* gn = wolfSSL_sk_GENERAL_NAME_value(sans, i);
        if (gn == nullptr) continue;
        if (gn->type == kDnsName) names.dns.push_back(asn1_text(gn->d.dNSName));
        if (gn->type == kIpAddress) {
            const std::string ip = asn1_text(gn->d.iPAddress);
            names.ips.emplace_back(ip.begin(), ip.end());
        }
    }
    if (sans != nullptr) wolfSSL_GENERAL_NAMES_free(sans);
    WOLFSSL_X509_NAME* subject = wolfSSL_X509_get_subject_name(x);
    for (int i = -1; subject != nullptr && (i = wolfSSL_X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;)
        names.common_names.push_back(
            asn1_text(wolfSSL_X509_NAME_ENTRY_get_data(wolfSSL_X509_NAME_get_entry(subject, i))));
    return names;
}

/// The certificate-verify callback (called for the server's leaf, and for any certificate that
/// failed): wolfSSL's chain verdict stands; at the leaf the name rule both stacks share decides.
int verify_server(int preverify, WOLFSSL_X509_STORE_CTX* store) {
    if (preverify == 0 || store == nullptr || store->error_depth != 0) return preverify;
    auto* c = static_cast<Connection*>(store->userCtx);
    if (c == nullptr || store->current_cert == nullptr) return 0;
    c->name_mismatch = !tls::certificate_names_host(names_of(store->current_cert), c->host);
    return c->name_mismatch ? 0 : 1;
}

WOLFSSL_METHOD* method_for(TlsVersions v, bool max_tls12) {
    if (max_tls12 || v == TlsVersions::tls12_only) return wolfTLSv1_2_client_method();
    if (v == TlsVersions::tls13_only) return wolfTLSv1_3_client_method();
    return wolfSSLv23_client_method();  // highest available, floor set below
}

}  // namespace

Connection::~Connection() {
    if (ssl) wolfSSL_free(ssl);
    if (ctx) wolfSSL_CTX_free(ctx);
    if (io.fd >= 0) ::close(io.fd);
}

int Connection::setup(const ClientOptions& o, Mode mode, bool cap_tls12, const LeafKey* leaf,
                      std::string& what) noexcept {
    auto fail = [&](const char* step, int rc) {
        what = step;
        return rc == WOLFSSL_SUCCESS || rc == WOLFSSL_FAILURE ? BAD_FUNC_ARG : rc;
    };
    max_tls12 = cap_tls12;
    ctx = wolfSSL_CTX_new(method_for(o.versions, max_tls12));
    if (!ctx) return fail("wolfSSL_CTX_new", MEMORY_E);
    int rc = WOLFSSL_SUCCESS;
    if (o.versions == TlsVersions::both && !max_tls12) rc = wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2);
    if (rc != WOLFSSL_SUCCESS) return fail("minimum version TLS 1.2", rc);
    if (max_tls12 || o.versions == TlsVersions::tls12_only) {
        // wolfSSL_CTX_set_groups is refused on a TLS 1.2-only context; the extension list is.
        for (const int g : kGroups)
            if (wolfSSL_CTX_UseSupportedCurve(ctx, static_cast<word16>(g)) != WOLFSSL_SUCCESS)
                return fail("group list", BAD_FUNC_ARG);
    } else if (wolfSSL_CTX_set_groups(ctx, kGroups, static_cast<int>(std::size(kGroups))) != WOLFSSL_SUCCESS) {
        return fail("group list", BAD_FUNC_ARG);
    }
    if (wolfSSL_CTX_UseSessionTicket(ctx) != WOLFSSL_SUCCESS) return fail("session tickets", WOLFSSL_FAILURE);
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);

    if (mode == Mode::probe) {
        // Everything the library offers, nothing verified: only to see the server's choices.
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
    } else {
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_server);
        for (bad_trusted = 0; bad_trusted < trusted.size(); ++bad_trusted) {
            const auto& der = trusted[bad_trusted];
            if (wolfSSL_CTX_load_verify_buffer(ctx, der.data(), static_cast<long>(der.size()), WOLFSSL_FILETYPE_ASN1) !=
                WOLFSSL_SUCCESS)
                return fail("CA file", WOLFSSL_BAD_FILE);
        }
        if (wolfSSL_CTX_set_cipher_list(ctx, kCipherList) != WOLFSSL_SUCCESS)
            return fail("cipher list", WOLFSSL_FAILURE);
        if (wolfSSL_CTX_set1_sigalgs_list(ctx, kSigAlgs) != WOLFSSL_SUCCESS)
            return fail("signature algorithms", WOLFSSL_FAILURE);
        if (leaf != nullptr) {
            // The PK callback first: only then does wolfSSL accept a public key as "private key".
            wolfSSL_CTX_SetEccSignCb(ctx, chip_sign);
            // The chain as one PEM buffer: the path wolfSSL sends in TLS 1.2 and 1.3 alike
            // (extra certificates added with add1_chain_cert are missing from its TLS 1.3 flight).
            std::string pem;
            for (const auto& der : o.chain) {
                std::string block(der.size() * 2 + 128, '\0');
                const int n = wc_DerToPem(der.data(), static_cast<word32>(der.size()),
                                          reinterpret_cast<byte*>(block.data()), static_cast<word32>(block.size()),
                                          CERT_TYPE);
                if (n <= 0) return fail("client certificate chain", n < 0 ? n : BAD_FUNC_ARG);
                pem.append(block.data(), static_cast<std::size_t>(n));
            }
            rc = wolfSSL_CTX_use_certificate_chain_buffer(ctx, reinterpret_cast<const unsigned char*>(pem.data()),
                                                          static_cast<long>(pem.size()));
            if (rc != WOLFSSL_SUCCESS) return fail("client certificate chain", rc);
            rc = wolfSSL_CTX_use_PrivateKey_buffer(ctx, leaf->spki.data(), static_cast<long>(leaf->spki.size()),
                                                   WOLFSSL_FILETYPE_ASN1);
            if (rc != WOLFSSL_SUCCESS) return fail("chip key (public key in place of the private key)", rc);
        }
    }

    ssl = wolfSSL_new(ctx);
    if (!ssl) return fail("wolfSSL_new", MEMORY_E);
    wolfSSL_SetIOReadCtx(ssl, &io);
    wolfSSL_SetIOWriteCtx(ssl, &io);
    wolfSSL_SetEccSignCtx(ssl, &signer);
    if (wolfSSL_set_SessionTicket_cb(ssl, on_ticket, this) != WOLFSSL_SUCCESS)
        return fail("ticket callback", WOLFSSL_FAILURE);
    host = o.host;
    wolfSSL_SetCertCbCtx(ssl, this);
    // RFC 6066 §3: SNI carries host names only, never IP literals. The probe sends it too: a
    // server may choose its certificate by it.
    if (!tls::is_ip_literal(o.host) && wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, o.host.data(),
                                                      static_cast<word16>(o.host.size())) != WOLFSSL_SUCCESS)
        return fail("SNI", WOLFSSL_FAILURE);
    if (mode == Mode::client) {
        // The name is always checked, by verify_server (not wolfSSL's own check, which takes a
        // wildcard anywhere in a name).
        if (!o.alpn.empty()) {
            for (const auto& p : o.alpn) alpn_list += (alpn_list.empty() ? "" : ",") + p;
            if (wolfSSL_UseALPN(ssl, alpn_list.data(), static_cast<unsigned>(alpn_list.size()),
                                WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) != WOLFSSL_SUCCESS)
                return fail("ALPN", WOLFSSL_FAILURE);
        }
    }
    return WOLFSSL_SUCCESS;
}

bool Connection::wait(bool for_write, std::uint32_t deadline_ms) noexcept {
    for (;;) {
        const auto left = static_cast<std::int32_t>(deadline_ms - host::monotonic_ms());
        if (left <= 0) return false;
        pollfd p{io.fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
        const int r = ::poll(&p, 1, left);
        if (r > 0) return true;  // readable, or an error/hang-up that the next call reports
        if (r == 0) return false;
        if (errno != EINTR) return true;
    }
}

TcpError Connection::open_tcp(const ClientOptions& o, std::uint32_t deadline_ms) noexcept {
    const auto left = static_cast<std::int32_t>(deadline_ms - host::monotonic_ms());
    const tls::TcpConnection tcp = tls::tcp_connect(o.connect_address.empty() ? o.host : o.connect_address, o.port,
                                                    left > 0 ? static_cast<std::uint32_t>(left) : 0, true);
    io.fd = tcp.fd;
    resolver_error = tcp.resolver_error;
    return tcp.error;
}

int Connection::await_verdict(std::uint32_t deadline_ms) noexcept {
    for (;;) {
        // peek handles handshake records (tickets) and leaves application data for the reader.
        unsigned char first;
        const int n = wolfSSL_peek(ssl, &first, 1);
        if (n > 0 || ticket_arrived) return 0;
        const int err = wolfSSL_get_error(ssl, n);
        if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) return err;
        if (!wait(err == WOLFSSL_ERROR_WANT_WRITE, deadline_ms)) return 0;
    }
}

int Connection::handshake(std::uint32_t deadline_ms) noexcept {
    for (;;) {
        const int r = wolfSSL_connect(ssl);
        if (r == WOLFSSL_SUCCESS) return 0;
        const int err = wolfSSL_get_error(ssl, r);
        if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) return err;
        if (!wait(err == WOLFSSL_ERROR_WANT_WRITE, deadline_ms)) {
            timed_out = true;
            return WOLFSSL_CBIO_ERR_TIMEOUT;
        }
    }
}

}  // namespace sebind::tls_wolfssl
