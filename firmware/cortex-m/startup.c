/* SPDX-License-Identifier: Apache-2.0 */
/* Start-up of a bare-metal Cortex-M4F program (the unit-test images on QEMU's mps2-an386):
 * vector table, reset (copy .data, zero .bss, enable the FPU, C++ constructors, main, exit), the
 * heap for newlib (_sbrk, between the linker script's end and __heap_limit), and fault handlers
 * that end the program with a non-zero status through semihosting instead of hanging. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Linker-script symbols (firmware/cortex-m/mps2-an386.ld). */
extern uint32_t __data_start, __data_end, __data_load, __bss_start__, __bss_end__;
extern uint32_t __stack_top, __heap_limit, end;
void initialise_monitor_handles(void);
void __libc_init_array(void);
int main(void);
int _write(int fd, const char* data, int size);

void Reset_Handler(void);
void Fault_Handler(void);
void* _sbrk(ptrdiff_t increment);
void _init(void);
void _fini(void);
extern void* __dso_handle;

/* Without the C runtime's start files (-nostartfiles): newlib's __libc_init_array calls _init
 * (constructors run from .init_array instead), and static destructors registered with
 * __cxa_atexit name the one module there is. */
void _init(void) {}
void _fini(void) {}
void* __dso_handle = 0;

void* _sbrk(ptrdiff_t increment) {
    static char* heap_end = (char*)&end;
    char* const limit = (char*)&__heap_limit;
    if (increment > limit - heap_end || increment < (char*)&end - heap_end) {
        errno = ENOMEM;
        return (void*)-1;
    }
    char* const previous = heap_end;
    heap_end += increment;
    return previous;
}

void Reset_Handler(void) {
    const uint32_t* from = &__data_load;
    for (uint32_t* to = &__data_start; to < &__data_end;) *to++ = *from++;
    for (uint32_t* to = &__bss_start__; to < &__bss_end__;) *to++ = 0;
    /* CPACR: full access to the coprocessors CP10 and CP11 (the single-precision FPU). */
    volatile uint32_t* const cpacr = (volatile uint32_t*)0xE000ED88u;
    *cpacr = *cpacr | (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
    initialise_monitor_handles();
    __libc_init_array();
    exit(main());
}

void Fault_Handler(void) {
    static const char kMessage[] = "fault: the program stopped on a processor exception\n";
    _write(2, kMessage, (int)(sizeof kMessage - 1));
    _Exit(134);
}

typedef void (*Handler)(void);
/* Initial stack pointer, then the Cortex-M system exceptions; no device interrupts are used. */
struct VectorTable {
    uint32_t* initial_stack;
    Handler exceptions[15];
};
__attribute__((section(".vectors"), used)) const struct VectorTable g_vectors = {
    &__stack_top,
    {
        Reset_Handler, /* Reset */
        Fault_Handler, /* NMI */
        Fault_Handler, /* HardFault */
        Fault_Handler, /* MemManage */
        Fault_Handler, /* BusFault */
        Fault_Handler, /* UsageFault */
        0,             /* reserved */
        0,             /* reserved */
        0,             /* reserved */
        0,             /* reserved */
        Fault_Handler, /* SVCall */
        Fault_Handler, /* DebugMonitor */
        0,             /* reserved */
        Fault_Handler, /* PendSV */
        Fault_Handler, /* SysTick */
    },
};
