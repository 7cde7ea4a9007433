/* SPDX-License-Identifier: Apache-2.0 */
/* C API for C firmware: the STSAFE-A110's key as an mbedTLS 2.28 pk context, its certificate
 * from a data zone, over the caller's I2C callbacks (or, on Linux, an SE URI).
 *
 *   sebind_mbedtls_se *se = NULL;
 *   mbedtls_pk_context key;  mbedtls_x509_crt chain;
 *   mbedtls_pk_init(&key);   mbedtls_x509_crt_init(&chain);
 *   if (sebind_mbedtls_open(&bus, NULL, &se) != 0 ||                    // or _open_uri (Linux)
 *       sebind_mbedtls_read_chain(se, 0, &chain) != 0 ||                 // once, at boot
 *       sebind_mbedtls_setup_key(se, 0, 0, &key) != 0 ||
 *       sebind_mbedtls_verify_pair(se, 0, &chain) != 0)
 *       printf("%s\n", sebind_mbedtls_last_error(se));
 *   mbedtls_ssl_conf_own_cert(&conf, &chain, &key);                      // then TLS as usual
 *   ...
 *   mbedtls_pk_free(&key);  mbedtls_x509_crt_free(&chain);  sebind_mbedtls_close(se);
 *
 * Every function returns 0 or a negative SEBIND_MBEDTLS_ERR_* code and never lets a C++
 * exception out. A handle is not thread-safe: one call at a time (the chip runs one command at a
 * time anyway). Library: sebind::tls_mbedtls_c (sebind::tls_mbedtls_c_linux for _open_uri). */
#ifndef SEBIND_TLS_SEBIND_MBEDTLS_H
#define SEBIND_TLS_SEBIND_MBEDTLS_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors: 0 = success, else one negative code per failure category ---------------------- */
#define SEBIND_MBEDTLS_OK 0
#define SEBIND_MBEDTLS_ERR_COMMUNICATION (-1)    /* bus fault, or the chip rejected the frame */
#define SEBIND_MBEDTLS_ERR_BUSY (-2)             /* the chip NACKed past the busy timeout */
#define SEBIND_MBEDTLS_ERR_INTEGRITY (-3)        /* response CRC / R-MAC wrong after re-reads */
#define SEBIND_MBEDTLS_ERR_INVALID_RESPONSE (-4) /* malformed response */
#define SEBIND_MBEDTLS_ERR_INVALID_ARGUMENT (-5) /* NULL, bad URI, key not on the slot's curve */
#define SEBIND_MBEDTLS_ERR_BUFFER_TOO_SMALL (-6)
#define SEBIND_MBEDTLS_ERR_NOT_PERMITTED (-7)  /* access condition, usage limit */
#define SEBIND_MBEDTLS_ERR_DOES_NOT_EXIST (-8) /* empty slot, no such zone, no certificate */
#define SEBIND_MBEDTLS_ERR_ALREADY_EXISTS (-9)
#define SEBIND_MBEDTLS_ERR_INVALID_SIGNATURE (-10) /* verify_pair: key and certificate differ */
#define SEBIND_MBEDTLS_ERR_NOT_SUPPORTED (-11)
#define SEBIND_MBEDTLS_ERR_HARDWARE (-12)
#define SEBIND_MBEDTLS_ERR_STORAGE (-13)        /* host file system (emulator state) */
#define SEBIND_MBEDTLS_ERR_CORRUPTED_DATA (-14) /* a zone's record or certificate is damaged */
#define SEBIND_MBEDTLS_ERR_OUT_OF_RANGE (-15)
#define SEBIND_MBEDTLS_ERR_TIMEOUT (-16)
#define SEBIND_MBEDTLS_ERR_EXPIRED (-17)
#define SEBIND_MBEDTLS_ERR_OUT_OF_MEMORY (-18) /* host allocation (or another host-side) failure */

/* A short English text for a code (static storage; "unknown error" for other values). */
const char* sebind_mbedtls_strerror(int err);

/* ---- The I2C seam: what one call of each callback must do ---------------------------------- */
/* Return values of write/read: one complete I2C transaction (START ... STOP). */
#define SEBIND_MBEDTLS_BUS_OK 0
#define SEBIND_MBEDTLS_BUS_NACK 1     /* address not acknowledged: the chip is busy; polled again */
#define SEBIND_MBEDTLS_BUS_FAULT (-1) /* the bus itself failed (no device, I/O error) */

typedef struct sebind_mbedtls_bus {
    void* ctx; /* passed to every callback; must outlive the handle */
    /* Writes `len` bytes to 7-bit `address`. */
    int (*write)(void* ctx, uint8_t address, const uint8_t* data, size_t len);
    /* Reads exactly `len` bytes from `address` (the chip restarts each read at its response's
     * first byte). */
    int (*read)(void* ctx, uint8_t address, uint8_t* out, size_t len);
    /* A millisecond counter that may wrap, and a sleep; the driver never sleeps otherwise. */
    uint32_t (*now_ms)(void* ctx);
    void (*delay_ms)(void* ctx, uint32_t ms);
} sebind_mbedtls_bus;

typedef struct sebind_mbedtls_config {
    uint8_t i2c_address;      /* 7-bit; default 0x20 */
    uint8_t emulated;         /* non-zero: the emulator (no fixed waits: it NACKs while busy) */
    uint32_t busy_timeout_ms; /* NACK polling budget per command; default 1500 */
} sebind_mbedtls_config;

/* Defaults for a real A110: address 0x20, the wait table of the protocol, 1500 ms. */
void sebind_mbedtls_config_init(sebind_mbedtls_config* config);

/* ---- Handle ------------------------------------------------------------------------------- */
typedef struct sebind_mbedtls_se sebind_mbedtls_se; /* opaque */

/* Opens a chip behind `bus` (copied; its ctx must outlive the handle). `config` NULL = defaults.
 * Nothing is sent to the chip yet. Errors: INVALID_ARGUMENT (NULL, a missing callback, an
 * address outside 0x08..0x77), OUT_OF_MEMORY. */
int sebind_mbedtls_open(const sebind_mbedtls_bus* bus, const sebind_mbedtls_config* config, sebind_mbedtls_se** se);

/* Linux (sebind::tls_mbedtls_c_linux): opens the chip an SE URI names: "emu:DIR" (emulator state
 * directory, in process), "emud:SOCKET[#CHIP]" (sebind-emud), "i2c:/dev/i2c-N[?addr=0x20]".
 * On failure *se is NULL and `why` (if not NULL) receives a one-line cause and fix.
 * Errors: INVALID_ARGUMENT (malformed URI), DOES_NOT_EXIST (no emulated chip in DIR, no such
 * i2c device, no such chip in the daemon), COMMUNICATION (no daemon on the socket), NOT_PERMITTED
 * (device permissions), CORRUPTED_DATA (emulator state), STORAGE. */
int sebind_mbedtls_open_uri(const char* uri, sebind_mbedtls_se** se, char* why, size_t why_size);

/* Frees the handle (NULL allowed). Free every pk context set up on it first. */
void sebind_mbedtls_close(sebind_mbedtls_se* se);

/* The last failure on this handle as one line ("" if none): what failed, the chip's status code
 * when the chip said no, and what to do. Valid until the next call on the handle. */
const char* sebind_mbedtls_last_error(const sebind_mbedtls_se* se);

/* ---- Key and certificate ------------------------------------------------------------------ */
#define SEBIND_MBEDTLS_SLOT_FACTORY 0 /* ST's key; its certificate is in zone 0 */
#define SEBIND_MBEDTLS_SLOT_USER 1    /* host-generated (`sebind keygen`); record in zone 4 */

/* The zone that holds a slot's certificate by default (0 for slot 0, 4 for slot 1). */
uint8_t sebind_mbedtls_default_zone(uint8_t slot);

/* Binds `pk` (mbedtls_pk_init'ed, empty) to `slot`; the public key is read from `zone`: the
 * identity record `sebind keygen` / `cert store` wrote, or the factory certificate (zone 0).
 * Signing goes to the chip (Generate Signature); the handle must outlive `pk`.
 * Errors: DOES_NOT_EXIST (empty slot, no such zone, no key or certificate in it, or the zone's
 * record belongs to another slot), INVALID_ARGUMENT (curve differs from the slot's),
 * CORRUPTED_DATA, chip and bus errors. */
int sebind_mbedtls_setup_key(sebind_mbedtls_se* se, uint8_t slot, uint8_t zone, mbedtls_pk_context* pk);

/* As setup_key with the public key given: an uncompressed point 0x04 || X || Y (65 or 97 bytes).
 * Errors: INVALID_ARGUMENT (not such a point, not on the slot's curve), DOES_NOT_EXIST (empty
 * slot), chip and bus errors. */
int sebind_mbedtls_setup_key_with_public(sebind_mbedtls_se* se, uint8_t slot, const unsigned char* point,
                                         size_t point_len, mbedtls_pk_context* pk);

/* Appends the certificate stored in `zone` to `chain` (mbedtls_x509_crt_init'ed). Read it once at
 * boot and keep it: each read is several chip commands. Zones hold the leaf only; append
 * intermediates with mbedtls_x509_crt_parse*. Errors: DOES_NOT_EXIST (no certificate),
 * CORRUPTED_DATA (a record or certificate that does not parse), chip and bus errors. */
int sebind_mbedtls_read_chain(sebind_mbedtls_se* se, uint8_t zone, mbedtls_x509_crt* chain);

/* Pairing check: the chip signs a fresh random challenge with `slot`, verified with the public
 * key of `cert` (the leaf, e.g. from read_chain). One chip signature. Nothing in mbedTLS checks
 * this (mbedtls_pk_check_pair cannot: the private key is in the chip).
 * Errors: INVALID_SIGNATURE (they do not pair), INVALID_ARGUMENT (other curve), chip errors. */
int sebind_mbedtls_verify_pair(sebind_mbedtls_se* se, uint8_t slot, const mbedtls_x509_crt* cert);

/* Chip signatures made through `pk` (0 for a key not set up here): one per full TLS handshake,
 * none for a resumed one. */
uint32_t sebind_mbedtls_sign_count(const mbedtls_pk_context* pk);

/* The sebind code of the last chip signature through `pk` (0 = it succeeded, or none yet). mbedTLS
 * reports only MBEDTLS_ERR_PK_HW_ACCEL_FAILED / _FEATURE_UNAVAILABLE up the TLS stack; this is
 * the cause. */
int sebind_mbedtls_key_error(const mbedtls_pk_context* pk);

#ifdef __cplusplus
}
#endif

#endif /* SEBIND_TLS_SEBIND_MBEDTLS_H */
