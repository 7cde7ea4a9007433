// SPDX-License-Identifier: Apache-2.0
// Contract-violation handler: print and abort unless the application installed its own.
#include "sebind/core/contract.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace sebind {
namespace {
std::atomic<ContractHandler> g_handler{nullptr};
}

void set_contract_handler(ContractHandler handler) noexcept { g_handler.store(handler); }

void contract_violation(const char* expression, const char* file, int line) noexcept {
    if (ContractHandler h = g_handler.load()) h(expression, file, line);
    std::fprintf(stderr, "sebind: contract violated: %s (%s:%d)\n", expression, file, line);
    std::abort();
}

}  // namespace sebind
