// SPDX-License-Identifier: Apache-2.0
#include "sebind/agent/connector.hpp"

namespace sebind::agent {

namespace {

/// The fields both stacks' client options share.
template <class ClientOptionsT>
ClientOptionsT broker_options(const ConnectorOptions& options) {
    ClientOptionsT o;
    o.host = options.host;
    o.connect_address = options.connect_address;
    o.port = options.port;
    o.ca_file = options.ca_file;
    o.alpn = options.alpn;
    o.timeout_ms = options.timeout_ms;
    return o;
}

}  // namespace

Connector make_connector(const ConnectorOptions& options, ConnectorCaches& caches) {
    if (options.stack == TlsStack::wolfssl) {
#if SEBIND_HAVE_WOLFSSL
        auto wo = broker_options<tls_wolfssl::ClientOptions>(options);
        wo.device = options.device;
        wo.slot = options.slot;
        for (const mbedtls_x509_crt* c = options.chain; c != nullptr && c->raw.p != nullptr; c = c->next)
            wo.chain.emplace_back(c->raw.p, c->raw.p + c->raw.len);
        wo.versions = options.tls_version == TlsVersion::tls12   ? tls_wolfssl::TlsVersions::tls12_only
                      : options.tls_version == TlsVersion::tls13 ? tls_wolfssl::TlsVersions::tls13_only
                                                                 : tls_wolfssl::TlsVersions::both;
        return wolfssl_connector(std::move(wo), &caches.wolfssl);
#else
        return {};
#endif
    }
    auto to = broker_options<tls_mbedtls::ClientOptions>(options);
    to.own_chain = options.chain;
    to.own_key = options.key;
    to.session_tickets = options.session_tickets;
    to.chip_ecdhe = options.chip_ecdhe;
    return mbedtls_connector(std::move(to), &caches.mbedtls);
}

}  // namespace sebind::agent
