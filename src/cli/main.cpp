#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/commands.h"

namespace {

// A dlsolve run allocates a few MiB and exits. On a virtual machine the first touch of each
// 4 KiB page traps into the hypervisor's page tables, about 10 µs a page: at 1000 layers
// the 1100 heap pages cost more than all the computing. So the heap is grown once, in
// one step, over address space marked for transparent huge pages (2 MiB per fault); only
// the pages touched become resident. Big blocks come from the heap too, and freeing
// never shrinks it. Everything here is advice: if any call fails, malloc works as usual.
void prepare_heap() {
#if !defined(__SANITIZE_ADDRESS__)
    constexpr size_t kHuge = size_t{2} << 20;
    constexpr size_t kReserve = size_t{256} << 20;
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1024 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    // Start the heap's growth one page below a huge-page boundary: malloc writes its chunk
    // header there before the advice is given, and a huge page must not be touched before
    // it (the kernel would map it in 4 KiB pages). The gap below is never used.
    constexpr size_t kPage = 4096;
    auto* begin = static_cast<char*>(sbrk(0));
    const auto gap = (kHuge - (reinterpret_cast<uintptr_t>(begin) + kPage) % kHuge) % kHuge;
    if (gap && sbrk(static_cast<intptr_t>(gap)) != reinterpret_cast<void*>(-1)) begin += gap;
    void* block = std::malloc(kReserve);
    if (!block) return;
    std::free(block);
    auto* end = static_cast<char*>(sbrk(0));
    const auto first = (reinterpret_cast<uintptr_t>(begin) + kHuge - 1) & ~(kHuge - 1);
    const auto last = reinterpret_cast<uintptr_t>(end) & ~(kHuge - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

}  // namespace

int main(int argc, char** argv) {
    prepare_heap();
    std::vector<std::string> args(argv + 1, argv + argc);
    dlsolve::leave_memory_to_exit();
    int status;
    try {
        status = dlsolve::run_cli(args, std::cin, std::cout, std::cerr);
    } catch (const std::exception& e) {
        // A bug, not bad input: say so on one line rather than abort.
        std::cerr << "dlsolve: internal error: " << e.what() << " (please report it with the problem file)\n";
        return 70;
    }
    // An answer that never reached its reader (a full disk, a closed stdout) is not a success.
    errno = 0;
    std::cout.flush();
    if (!std::cout) {
        const int error = errno;
        std::cerr << "dlsolve: cannot write the output: " << (error ? std::strerror(error) : "the stream failed") << "\n";
        return 2;
    }
    return status;
}
