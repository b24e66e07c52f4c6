// EXPECT_TEXT(actual, expected): cr_expect_str_eq on a std::string that may
// be a temporary. The string is held in a local for the duration of the
// assertion: Criterion compares lazily, and `.c_str()` of a temporary would
// point at freed memory by then (AddressSanitizer: stack use after scope).
#pragma once

#include <criterion/criterion.h>

#include <string>

#define EXPECT_TEXT(actual, expected)              \
    do {                                           \
        const std::string held_ = (actual);        \
        cr_expect_str_eq(held_.c_str(), expected); \
    } while (0)
