// SPDX-License-Identifier: Apache-2.0
// Contract checks for caller bugs. A failing bus, chip or peer is never reported through these:
// it is a Status.
#pragma once

namespace sebind {

/// Called when a contract is broken. The default handler prints the location and aborts;
/// firmware can install its own (for example, log and reset).
using ContractHandler = void (*)(const char* expression, const char* file, int line);
void set_contract_handler(ContractHandler handler) noexcept;
[[noreturn]] void contract_violation(const char* expression, const char* file, int line) noexcept;

}  // namespace sebind

#define SEBIND_EXPECTS(cond) ((cond) ? static_cast<void>(0) : ::sebind::contract_violation(#cond, __FILE__, __LINE__))
