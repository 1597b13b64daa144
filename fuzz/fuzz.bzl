"""One macro for every libFuzzer harness.

Under plain `bazel test` a harness is a cc_test that replays every file of its seed folder
corpus/fuzz/<name>/ (the Envoy way), so every past finding stays a regression test.
Under `--config=fuzz` (clang) the same sources link with -fsanitize=fuzzer into a real
libFuzzer binary: `bazel run --config=fuzz //fuzz:<name> -- corpus/fuzz/<name>`.
"""

def tcpfollow_fuzz_test(name, srcs, deps = [], dict = None):
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        args = ["corpus/fuzz/" + name],
        data = ["//corpus:fuzz_" + name] + ([dict] if dict else []),
        size = "small",
    )
