"""Who may depend on the protocol packages (DESIGN.md): tools wires them to tls; tls, reassembly
and tins_ext never see them."""

PROTOCOLS_VISIBILITY = [
    "//bench:__pkg__",
    "//fuzz:__pkg__",
    "//protocols:__subpackages__",
    "//tests:__subpackages__",
    "//tools:__subpackages__",
]
