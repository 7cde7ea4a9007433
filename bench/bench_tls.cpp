// SPDX-License-Identifier: Apache-2.0
// Mutual-TLS handshakes against a real `openssl s_server`, all measured in one run:
//   chip key (emulator, zero latency) vs a software key: ratio (target <= 1.02)
//   chip key with realistic latency vs one signature's latency + the software handshake (<= 1.05)
//   full vs resumed handshake (target: resumed >= 15x faster)
//   heap peak per connection (target <= 46 KB), counted by interposing malloc in this program.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <malloc.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "../tests/interop/support/peer.hpp"
#include "../tests/interop/support/process.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/identity/dev_pki.hpp"
#include "sebind/identity/identity.hpp"
#include "sebind/port_linux/se_uri.hpp"
#include "sebind/tls/client.hpp"
#include "sebind/tls/se_key.hpp"

// --- heap accounting: this executable's malloc family wraps glibc's, so the mbedTLS shared
// libraries allocate through it. ---------------------------------------------------------------
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void __libc_free(void*);

namespace {
std::atomic<long long> g_live{0}, g_peak{0};
void account(long long delta) {
    const long long now = g_live.fetch_add(delta) + delta;
    long long peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
    }
}
}  // namespace

extern "C" void* malloc(std::size_t n) {
    void* p = __libc_malloc(n);
    if (p) account(static_cast<long long>(malloc_usable_size(p)));
    return p;
}
extern "C" void* calloc(std::size_t a, std::size_t b) {
    void* p = __libc_calloc(a, b);
    if (p) account(static_cast<long long>(malloc_usable_size(p)));
    return p;
}
extern "C" void* realloc(void* old, std::size_t n) {
    const long long before = old ? static_cast<long long>(malloc_usable_size(old)) : 0;
    void* p = __libc_realloc(old, n);
    if (p) account(static_cast<long long>(malloc_usable_size(p)) - before);
    else if (n == 0) account(-before);
    return p;
}
extern "C" void free(void* p) {
    if (p) account(-static_cast<long long>(malloc_usable_size(p)));
    __libc_free(p);
}

namespace {

using namespace sebind;
using Wall = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Identity {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    Identity() {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
    }
    ~Identity() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
    }
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "bench_tls: %s\n", what);
    std::exit(1);
}

/// A software P-256 client key with a certificate from the dev CA (the baseline).
void software_identity(const std::string& pki, Identity& id) {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
    mbedtls_pk_setup(&id.key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(id.key), mbedtls_ctr_drbg_random, &drbg);
    mbedtls_x509write_csr csr;
    mbedtls_x509write_csr_init(&csr);
    mbedtls_x509write_csr_set_key(&csr, &id.key);
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_subject_name(&csr, "CN=software-baseline");
    unsigned char pem[4096];
    if (mbedtls_x509write_csr_pem(&csr, pem, sizeof pem, mbedtls_ctr_drbg_random, &drbg) != 0) die("software CSR");
    mbedtls_x509write_csr_free(&csr);
    auto crt = identity::sign_csr(pki, reinterpret_cast<char*>(pem), 30);
    if (!crt || mbedtls_x509_crt_parse(&id.chain, reinterpret_cast<const unsigned char*>(crt->c_str()), crt->size() + 1) != 0)
        die("software certificate");
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
}

double handshake_ms(tls::ClientOptions o, tls::SessionCache* cache, long long* heap_peak = nullptr) {
    const long long base = g_live.load();
    g_peak.store(base);
    tls::Client c;
    const auto t0 = Wall::now();
    auto info = c.connect(o, cache);
    const auto t1 = Wall::now();
    if (!info) {
        std::fprintf(stderr, "bench_tls: handshake failed: %s\n", c.diagnosis().cause.c_str());
        std::exit(1);
    }
    if (heap_peak) *heap_peak = g_peak.load() - base;
    c.close();
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 41;
    test::TempDir dir;
    if (!emu::init_chip(dir.file("se"), {}).ok()) die("emulator");
    emu::OpenOptions open;
    open.persist = false;
    auto chip = emu::Chip::open(dir.file("se"), open);
    if (!chip) die("emulator open");
    port_linux::SystemClock clock;  // real time: realistic latency must cost real milliseconds
    emu::EmulatedBus bus(**chip, clock);
    stsafe::Device se(bus, clock, emu::kDriverConfig);

    identity::DevPkiOptions pki_opts;
    if (!identity::create_dev_pki(dir.file("pki"), pki_opts).ok()) die("dev PKI");
    if (!identity::keygen(se, {})) die("keygen");
    auto csr = identity::make_csr(se, stsafe::kSlotUser, 4, "CN=chip-device", {});
    auto crt = identity::sign_csr(dir.file("pki"), *csr, 30);
    Identity chip_id, soft_id;
    if (!crt || mbedtls_x509_crt_parse(&chip_id.chain, reinterpret_cast<const unsigned char*>(crt->c_str()), crt->size() + 1) != 0)
        die("chip certificate");
    if (!tls::setup_se_key(chip_id.key, se, stsafe::kSlotUser, *tls::public_key_of(chip_id.chain.pk)).ok()) die("SE key");
    software_identity(dir.file("pki"), soft_id);

    const int port = test::free_port();
    test::Peer server({"openssl", "s_server", "-accept", std::to_string(port), "-cert", dir.file("pki/broker.pem"), "-key",
                       dir.file("pki/broker.key"), "-CAfile", dir.file("pki/ca.pem"), "-Verify", "1", "-verify_return_error",
                       "-no_tls1_3", "-quiet"});
    // -quiet prints nothing: readiness = a completed handshake within the deadline.
    tls::ClientOptions o;
    o.host = "localhost";
    o.port = static_cast<std::uint16_t>(port);
    o.ca_file = dir.file("pki/ca.pem");
    for (int attempt = 0;; ++attempt) {
        o.own_chain = &soft_id.chain;
        o.own_key = &soft_id.key;
        tls::Client probe;
        if (probe.connect(o)) break;
        if (attempt > 200) die("openssl s_server did not come up");
        clock.delay_ms(10);
    }

    std::vector<double> chip_full, soft_full, resumed;
    long long heap_full = 0, heap_resumed = 0;
    for (int i = 0; i < rounds; ++i) {
        o.own_chain = &chip_id.chain;
        o.own_key = &chip_id.key;
        chip_full.push_back(handshake_ms(o, nullptr, i == rounds / 2 ? &heap_full : nullptr));
        o.own_chain = &soft_id.chain;
        o.own_key = &soft_id.key;
        soft_full.push_back(handshake_ms(o, nullptr));
    }
    tls::SessionCache cache;
    o.own_chain = &chip_id.chain;
    o.own_key = &chip_id.key;
    handshake_ms(o, &cache);
    for (int i = 0; i < rounds; ++i) resumed.push_back(handshake_ms(o, &cache, i == rounds / 2 ? &heap_resumed : nullptr));

    // Realistic chip timing: one signature alone, then full handshakes.
    (*chip)->set_latency(emu::Latency::realistic);
    std::vector<double> sig_alone, chip_real;
    std::uint8_t digest[32];
    for (auto& b : digest) b = 0x5A;
    const int slow_rounds = std::max(3, rounds / 8);
    for (int i = 0; i < slow_rounds; ++i) {
        const auto t0 = Wall::now();
        if (!se.generate_signature(stsafe::kSlotUser, digest)) die("signature");
        sig_alone.push_back(std::chrono::duration<double, std::milli>(Wall::now() - t0).count());
        chip_real.push_back(handshake_ms(o, nullptr));
    }

    const double chip_ms = median(chip_full), soft_ms = median(soft_full), res_ms = median(resumed);
    const double sig_ms = median(sig_alone), real_ms = median(chip_real);
    std::printf("full handshake, chip key (emulator, zero latency): %.2f ms (median of %d)\n", chip_ms, rounds);
    std::printf("full handshake, software key (baseline):           %.2f ms\n", soft_ms);
    std::printf("  ratio chip/software: %.3f (target <= 1.02: %s)\n", chip_ms / soft_ms, chip_ms / soft_ms <= 1.02 ? "met" : "NOT met");
    std::printf("realistic chip latency: one signature %.1f ms, full handshake %.1f ms\n", sig_ms, real_ms);
    std::printf("  ratio handshake/(signature + software handshake): %.3f (target <= 1.05: %s)\n", real_ms / (sig_ms + soft_ms),
                real_ms / (sig_ms + soft_ms) <= 1.05 ? "met" : "NOT met");
    std::printf("resumed handshake: %.2f ms; full/resumed = %.1fx (target >= 15x: %s)\n", res_ms, chip_ms / res_ms,
                chip_ms / res_ms >= 15 ? "met" : "NOT met");
    std::printf("heap peak per connection: full %.1f KB, resumed %.1f KB (target <= 46 KB: %s)\n", heap_full / 1024.0,
                heap_resumed / 1024.0, heap_full <= 46 * 1024 ? "met" : "NOT met");
    server.stop();
    return 0;
}
