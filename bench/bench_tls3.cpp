// SPDX-License-Identifier: Apache-2.0
// The Mbed TLS 3.6 client (tls_mbedtls3, the mbedtls3 configuration) in mutual TLS against a real
// `openssl s_server` on 127.0.0.1, all measured in one run, interleaved so that every pair of
// figures sees the same machine:
//   chip key (emulator, zero latency, through the PSA opaque driver) vs a software key (a volatile
//   PSA key on the same curve, P-256, through the same mbedtls_pk_setup_opaque path): full
//   handshake ratio, TLS 1.2 and 1.3 (target <= 1.02)
//   TLS 1.3 full handshake vs TLS 1.2
//   full vs resumed (target: resumed >= 15x faster): TLS 1.3 ticket, TLS 1.2 ticket and session id
//   heap peak per connection with the project's configuration (target <= 24 KB), counted by
//   interposing malloc (heap_probe.cpp: the static Mbed TLS calls calloc/free), the emulated chip's
//   own allocations apart; also what stays allocated once the connection is established.
// `bench_tls3 ROUNDS --heap-detail` also prints, for one full handshake of each version, the blocks
// live at the peak grouped by call site.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <psa/crypto.h>
extern "C" {  // Mbed TLS 3.6's psa_util.h declares mbedtls_psa_get_random without C linkage
#include <mbedtls/psa_util.h>
}

#include "../tests/interop/support/peer.hpp"
#include "../tests/interop/support/process.hpp"
#include "bench_common.hpp"
#include "heap_probe.hpp"
#include "sebind/core/clock.hpp"
#include "sebind/emu/emulator.hpp"
#include "sebind/psa_stsafe/driver.hpp"
#include "sebind/stsafe/device.hpp"
#include "sebind/tls_mbedtls3/client.hpp"
#include "sebind/tls_mbedtls3/csr.hpp"

namespace {

using namespace sebind;
using namespace sebind::bench;
namespace m3 = tls_mbedtls3;
using Wall = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_tls3: %s\n", what.c_str());
    std::exit(1);
}

/// A client certificate chain and its (opaque) key.
struct Identity {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    psa_key_id_t software_key = 0;
    Identity() {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
    }
    ~Identity() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
        if (software_key) psa_destroy_key(software_key);
    }
    Identity(const Identity&) = delete;
    Identity& operator=(const Identity&) = delete;
};

/// `name`.pem issued by the CA of `dir` for the CSR `csr`, parsed into `id.chain`.
void certify(const test::TempDir& dir, const std::string& name, const std::string& csr, Identity& id) {
    test::write_file(dir.file(name + ".csr"), csr);
    auto r = test::openssl_issue(dir.file(name + ".csr"), dir.file("ca.pem"), dir.file("ca.key"),
                                 "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
                                 dir.file(name + ".pem"));
    if (r.exit_code != 0) die("openssl x509 -req: " + r.output);
    const std::string pem = test::read_text(dir.file(name + ".pem"));
    if (mbedtls_x509_crt_parse(&id.chain, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1) != 0)
        die(name + " certificate does not parse");
}

/// The baseline: an ordinary P-256 PSA key (volatile, in software) behind the same
/// mbedtls_pk_setup_opaque path as the chip's key, so that the ratio shows what the driver and
/// the chip's I2C protocol cost and nothing else.
void software_identity(const test::TempDir& dir, Identity& id) {
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE);
    psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    if (psa_generate_key(&a, &id.software_key) != PSA_SUCCESS) die("software PSA key");
    if (mbedtls_pk_setup_opaque(&id.key, id.software_key) != 0) die("software opaque pk");
    mbedtls_x509write_csr csr;
    mbedtls_x509write_csr_init(&csr);
    mbedtls_x509write_csr_set_key(&csr, &id.key);
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    unsigned char pem[2048];
    const bool ok = mbedtls_x509write_csr_set_subject_name(&csr, "CN=software-baseline") == 0 &&
                    mbedtls_x509write_csr_pem(&csr, pem, sizeof pem, mbedtls_psa_get_random,
                                              MBEDTLS_PSA_RANDOM_STATE) == 0;
    mbedtls_x509write_csr_free(&csr);
    if (!ok) die("software CSR");
    certify(dir, "soft", reinterpret_cast<const char*>(pem), id);
}

/// The server, whose output is read after every handshake (it would block on a full pipe).
test::Peer* g_server = nullptr;

/// One connection's figures.
struct Shot {
    double ms = 0;              // connect(): TCP and handshake, wall time
    double cpu_ms = 0;          // this thread's CPU time in connect()
    long long peak = 0;         // the host heap's peak above what was live before, until closed
    long long established = 0;  // what stays allocated once the handshake is done
    bool resumed = false;
    unsigned chip_signatures = 0;
};

/// One connection: connect (offering `cache` when given), for TLS 1.3 with `await_ticket` read
/// until the server's ticket is kept in `cache`, close.
Shot connection(const m3::ClientOptions& o, m3::SessionCache* cache, bool await_ticket = false) {
    Shot s;
    const long long base = bench::heap_live();
    bench::reset_peak();
    {
        m3::Client c;
        const double cpu0 = thread_cpu_ms();
        const auto t0 = Wall::now();
        auto info = c.connect(o, cache);
        const auto t1 = Wall::now();
        s.cpu_ms = thread_cpu_ms() - cpu0;
        if (!info) die("handshake failed: " + c.diagnosis().cause);
        s.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        s.established = bench::heap_live() - base;
        s.resumed = info->resumed;
        s.chip_signatures = info->chip_signatures;
        if (await_ticket) {
            const auto until = Wall::now() + std::chrono::seconds(5);
            std::uint8_t buf[64];
            while (!cache->valid() && Wall::now() < until) (void)c.read(MutableBytes(buf), 100);
            if (!cache->valid()) die("no TLS 1.3 session ticket from the server within 5 s");
        }
        c.close();
    }
    s.peak = bench::heap_peak() - base;
    if (g_server) g_server->output();
    return s;
}

struct Series {
    std::vector<double> ms, cpu;
    void add(const Shot& s) {
        ms.push_back(s.ms);
        cpu.push_back(s.cpu_ms);
    }
};

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::max(3, std::atoi(argv[1])) : 101;
    const bool heap_detail = argc > 2 && std::strcmp(argv[2], "--heap-detail") == 0;
    test::TempDir dir;
    auto chip = bench::new_emulated_chip(dir.file("se"));
    if (!chip) die("emulator");
    ManualClock clock;  // zero latency: the emulator answers at once
    ChipBus bus(*chip, clock);
    stsafe::Device se(bus, clock, emu::kDriverConfig);
    if (psa_crypto_init() != PSA_SUCCESS) die("PSA crypto does not start");

    // The PKI: an openssl CA for the clients, a self-signed server certificate for localhost.
    for (const auto& argv_ : std::vector<std::vector<std::string>>{
             {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
              dir.file("ca.key"), "-out", dir.file("ca.pem"), "-subj", "/CN=bench CA", "-days", "30"},
             {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
              dir.file("srv.key"), "-out", dir.file("srv.pem"), "-subj", "/CN=localhost", "-addext",
              "subjectAltName=DNS:localhost", "-days", "30"}}) {
        auto r = test::run(argv_);
        if (r.exit_code != 0) die("openssl req: " + r.output);
    }
    Identity chip_id, soft_id;
    auto pub = se.generate_key_pair(stsafe::kSlotUser, stsafe::Curve::p256);
    if (!pub || !psa_stsafe::attach(se, stsafe::kSlotUser, *pub).ok()) die("chip key");
    auto csr = m3::chip_csr_pem(stsafe::kSlotUser, "CN=chip-device");
    if (!csr) die("chip CSR");
    certify(dir, "chip", *csr, chip_id);
    if (!m3::setup_chip_key(chip_id.key, stsafe::kSlotUser).ok()) die("chip opaque pk");
    software_identity(dir, soft_id);

    const int port = test::free_port();
    test::Peer server({"openssl", "s_server", "-accept", std::to_string(port), "-cert", dir.file("srv.pem"), "-key",
                       dir.file("srv.key"), "-CAfile", dir.file("ca.pem"), "-Verify", "1", "-verify_return_error"});
    if (!server.wait_for("ACCEPT")) die("openssl s_server did not come up: " + server.output());
    g_server = &server;

    m3::ClientOptions chip12;
    chip12.host = "localhost";
    chip12.port = static_cast<std::uint16_t>(port);
    chip12.ca_file = dir.file("srv.pem");
    chip12.own_chain = &chip_id.chain;
    chip12.own_key = &chip_id.key;
    chip12.chip_slot = stsafe::kSlotUser;
    chip12.versions = m3::TlsVersions::tls12;
    m3::ClientOptions chip13 = chip12, soft12 = chip12, by_id = chip12;
    chip13.versions = m3::TlsVersions::tls13;
    soft12.own_chain = &soft_id.chain;
    soft12.own_key = &soft_id.key;
    soft12.chip_slot.reset();
    m3::ClientOptions soft13 = soft12;
    soft13.versions = m3::TlsVersions::tls13;
    by_id.session_tickets = false;

    // The sessions to resume: a TLS 1.3 ticket (read after the handshake), a TLS 1.2 ticket and
    // a TLS 1.2 session id (no ticket asked for: the server resumes from its cache).
    m3::SessionCache ticket13, ticket12, id12;
    connection(chip13, &ticket13, true);
    connection(chip12, &ticket12);
    connection(by_id, &id12);
    const auto resume = [](const m3::ClientOptions& o, m3::SessionCache& cache) {
        const Shot s = connection(o, &cache);
        if (!s.resumed || s.chip_signatures != 0) die("a resumption was refused or signed with the chip");
        return s;
    };
    const auto full = [](const m3::ClientOptions& o) {
        const Shot s = connection(o, nullptr);
        if (o.chip_slot && s.chip_signatures != 1) die("a full handshake did not cost exactly one chip signature");
        return s;
    };

    Series c12, s12, c13, s13, r13, r12, rid;
    for (int i = 0; i < rounds; ++i) {
        // Which key goes first alternates: neither inherits the other's position in the sequence.
        if (i % 2 == 0) c12.add(full(chip12));
        s12.add(full(soft12));
        if (i % 2 == 1) c12.add(full(chip12));
        if (i % 2 == 1) c13.add(full(chip13));
        s13.add(full(soft13));
        if (i % 2 == 0) c13.add(full(chip13));
        r13.add(resume(chip13, ticket13));
        r12.add(resume(chip12, ticket12));
        rid.add(resume(by_id, id12));
    }

    // Heap per connection: the host's allocations only, the median of 5 connections each.
    bench::reset_chip_peak();
    struct Heap {
        long long peak, established;
    };
    const auto heap = [](const auto& connect) {
        std::vector<double> peaks, kept;
        for (int i = 0; i < 5; ++i) {
            const Shot s = connect();
            peaks.push_back(static_cast<double>(s.peak));
            kept.push_back(static_cast<double>(s.established));
        }
        return Heap{static_cast<long long>(median(peaks)), static_cast<long long>(median(kept))};
    };
    const Heap h12 = heap([&] { return full(chip12); });
    const Heap h13 = heap([&] { return full(chip13); });
    const Heap hr12 = heap([&] { return resume(chip12, ticket12); });
    const Heap hr13 = heap([&] { return resume(chip13, ticket13); });
    m3::SessionCache fresh;
    const Heap h13_ticket = heap([&] {
        fresh.clear();
        return connection(chip13, &fresh, true);
    });
    const long long chip_model = bench::chip_heap_peak();

    std::printf(
        "Mbed TLS 3.6 client (tls_mbedtls3), P-256, mutual TLS against openssl s_server on 127.0.0.1, "
        "%d rounds\n",
        rounds);
    std::printf(
        "full handshake, chip key (emulator, zero latency, PSA opaque driver) vs software key (volatile PSA "
        "key, same path):\n");
    const auto key_line = [](const char* what, const Series& chip_s, const Series& soft_s) {
        const double ratio = paired_ratio(chip_s.ms, soft_s.ms);
        std::vector<double> extra;  // what the chip adds to each pair, in ms
        for (std::size_t i = 0; i < chip_s.ms.size() && i < soft_s.ms.size(); ++i)
            extra.push_back(chip_s.ms[i] - soft_s.ms[i]);
        std::printf(
            "  %s chip %.2f ms, software %.2f ms: ratio %.3f (target <= 1.02: %s), chip adds %+.3f ms, CPU "
            "ratio %.3f\n",
            what, median(chip_s.ms), median(soft_s.ms), ratio, ratio <= 1.02 ? "met" : "NOT met", median(extra),
            paired_ratio(chip_s.cpu, soft_s.cpu));
    };
    key_line("TLS 1.2:", c12, s12);
    key_line("TLS 1.3:", c13, s13);
    std::printf("TLS 1.3 full handshake vs TLS 1.2 (chip key): %.3f (wall), %.3f (this thread's CPU)\n",
                paired_ratio(c13.ms, c12.ms), paired_ratio(c13.cpu, c12.cpu));
    std::printf("resumed handshake (no chip operation) against a full one of the same version:\n");
    const auto resumed_line = [](const char* what, const Series& f, const Series& r) {
        const double ratio = paired_ratio(f.ms, r.ms);
        std::printf("  %-19s %.2f ms; full/resumed = %5.1fx (target >= 15x: %s); device CPU %.3f ms (%.0fx)\n", what,
                    median(r.ms), ratio, ratio >= 15 ? "met" : "NOT met", median(r.cpu), paired_ratio(f.cpu, r.cpu));
    };
    resumed_line("TLS 1.3 ticket:", c13, r13);
    resumed_line("TLS 1.2 ticket:", c12, r12);
    resumed_line("TLS 1.2 session id:", c12, rid);
    const long long worst = std::max({h12.peak, h13.peak, hr12.peak, hr13.peak, h13_ticket.peak});
    std::printf(
        "heap per connection (host only; the emulated chip's %.1f KB counted apart), peak / kept once "
        "established:\n",
        kb(chip_model));
    std::printf("  TLS 1.2 full %.1f / %.1f KB, resumed by ticket %.1f / %.1f KB\n", kb(h12.peak), kb(h12.established),
                kb(hr12.peak), kb(hr12.established));
    std::printf(
        "  TLS 1.3 full %.1f / %.1f KB, resumed by ticket %.1f / %.1f KB, full and reading the ticket %.1f KB\n",
        kb(h13.peak), kb(h13.established), kb(hr13.peak), kb(hr13.established), kb(h13_ticket.peak));
    std::printf("  record buffers at most %.1f KB in + %.1f KB out (MBEDTLS_SSL_IN/OUT_CONTENT_LEN and overhead)\n",
                MBEDTLS_SSL_IN_CONTENT_LEN / 1024.0, MBEDTLS_SSL_OUT_CONTENT_LEN / 1024.0);
    std::printf("  target <= 24 KB: %s (largest peak %.1f KB)\n", worst <= 24 * 1024 ? "met" : "NOT met", kb(worst));

    if (heap_detail) {
        for (const auto* o : {&chip12, &chip13}) {
            const char* version = o == &chip12 ? "1.2" : "1.3";
            std::printf("where the peak goes, TLS %s full handshake:\n", version);
            bench::start_trace();
            full(*o);
            bench::stop_trace();
            bench::report_trace(stdout);
            std::printf("what an established TLS %s connection keeps:\n", version);
            m3::Client c;
            bench::start_trace();
            if (!c.connect(*o)) die("handshake failed: " + c.diagnosis().cause);
            bench::stop_trace();
            bench::report_trace(stdout, 12, true);
            c.close();
            server.output();
        }
    }
    server.stop();
    return 0;
}
