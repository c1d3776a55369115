#pragma once
// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), as
// leveldb's port/thread_annotations.h: members say which mutex guards them and clang's
// -Wthread-safety checks every access (the `thread-safety` build in scripts/test). Other
// compilers see nothing. Use them with infralogs::Mutex (core/mutex.h): std::mutex carries no
// annotations in libstdc++.

#if defined(__clang__)
#define INFRALOGS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define INFRALOGS_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) INFRALOGS_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY INFRALOGS_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) INFRALOGS_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) INFRALOGS_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRE(...) INFRALOGS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) INFRALOGS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) INFRALOGS_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define REQUIRES(...) INFRALOGS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) INFRALOGS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) INFRALOGS_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS INFRALOGS_THREAD_ANNOTATION(no_thread_safety_analysis)
