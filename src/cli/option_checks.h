// SPDX-License-Identifier: Apache-2.0
// Checks for option values that CLI11 would otherwise take as they come: "-1" wraps into an
// unsigned, "nan" passes every range comparison. A failed check is a usage error (exit 2) whose
// message names the option.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "model/result.h"
#include "sources/live_sockets.h"

namespace tw::cli {

// An integer from lo to hi (no sign for lo >= 0, no overflow).
CLI::Validator whole_number(int64_t lo, int64_t hi);
// A finite number of seconds from lo to hi.
CLI::Validator seconds(double lo, double hi);
// A finite number from lo to hi.
CLI::Validator number(double lo, double hi);

// Every option of `app` and its subcommands that takes a value refuses an empty one (`--root ""`,
// `--netns ""`, `--save ""`): a usage error naming the option instead of a run that takes it
// as "not given". Options whose value may be left out (`--reuse`) and those marked with
// allow_empty_value are left as they are. Called once, after every command has declared its
// options.
void refuse_empty_values(CLI::App* app);
// Exempts `o` from refuse_empty_values: its empty value means something (`plan --reserved-ports
// ""`: no reserved ports, as the kernel prints none). Returns `o`.
CLI::Option* allow_empty_value(CLI::Option* o);

// The first of `names` given on the command line of `sub`, or "" if none: options that do
// nothing in the mode chosen are refused rather than silently dropped.
std::string given(const CLI::App* sub, std::initializer_list<std::string_view> names);

// --source of the live commands: auto, bpf, netlink or proc.
Result<SourceKind> parse_source(const std::string& name);
inline constexpr const char* kSourceHelp =
    "Live source: auto (bpf for a table of 250,000 sockets or more on 2+ CPUs, else inet_diag, "
    "else /proc/net/tcp), netlink, proc, or bpf (the socket table read by a BPF program, split "
    "between CPUs; Linux 5.9+ with BTF, as root: also tells which TIME_WAIT ports tcp_tw_reuse "
    "could take now)";
// The Windows build: these options of `sub` need Linux (namespaces, eBPF, /proc/sys) and say
// "(Linux only)" in --help; the Linux build leaves them as they are.
void mark_linux_only(CLI::App* sub, std::initializer_list<std::string_view> names);
// The first option marked so that was given, as a usage error to report ("" if none).
std::string linux_only_given(const CLI::App* sub);

}  // namespace tw::cli
