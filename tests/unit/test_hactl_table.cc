// hactl's tables for people: alignment that ignores colour escapes, colour
// only for a terminal without NO_COLOR, state words painted by meaning.
#include <criterion/criterion.h>

#include <string>

#include "hactl/table.h"

using namespace hakeep::hactl;

Test(hactl_table, visible_width_skips_escapes_and_counts_characters) {
    cr_expect_eq(visible_width("MASTER"), 6u);
    cr_expect_eq(visible_width("\x1b[1;32mMASTER\x1b[0m"), 6u);
    cr_expect_eq(visible_width("\x1b[31mDOWN\x1b[0m (x)"), 8u);
    cr_expect_eq(visible_width(""), 0u);
    cr_expect_eq(visible_width("caf\xc3\xa9"), 4u);  // é is two bytes, one column
}

Test(hactl_table, columns_align_whether_coloured_or_not) {
    Table plain({"NAME", "STATE", "PRIO"});
    plain.add_row({"VI_1", "MASTER", "110"});
    plain.add_row({"VI_long", "BACKUP", "9"});
    Table coloured({"NAME", "STATE", "PRIO"});
    coloured.add_row({"VI_1", paint_state("MASTER", true), "110"});
    coloured.add_row({"VI_long", paint_state("BACKUP", true), "9"});
    const std::string expected =
        "NAME     STATE   PRIO\n"
        "VI_1     MASTER  110\n"
        "VI_long  BACKUP  9\n";
    const std::string plain_text = plain.render();
    cr_expect_str_eq(plain_text.c_str(), expected.c_str());
    // Stripped of its escapes, the coloured table is the plain one.
    std::string stripped;
    const std::string coloured_text = coloured.render();
    for (std::size_t i = 0; i < coloured_text.size(); ++i) {
        if (coloured_text[i] == '\x1b') {
            while (coloured_text[i] != 'm') ++i;
            continue;
        }
        stripped += coloured_text[i];
    }
    cr_expect_str_eq(stripped.c_str(), expected.c_str());
    cr_expect_neq(coloured_text.find("\x1b[1;32mMASTER\x1b[0m  110"), std::string::npos);
}

Test(hactl_table, no_trailing_blanks_after_an_empty_last_cell) {
    Table table({"SERVER", "NOTE"});
    table.add_row({"203.0.113.11:8080", ""});
    table.add_row({"203.0.113.12:8080", "drained"});
    const std::string text = table.render();
    cr_expect_str_eq(text.c_str(),
                     "SERVER             NOTE\n203.0.113.11:8080\n203.0.113.12:8080  drained\n");
}

Test(hactl_table, colour_only_on_a_terminal_without_no_color) {
    cr_expect(colour_wanted(true, nullptr));
    cr_expect(colour_wanted(true, ""));  // no-color.org: only a non-empty value counts
    cr_expect_not(colour_wanted(true, "1"));
    cr_expect_not(colour_wanted(true, "0"));  // any value, even "0"
    cr_expect_not(colour_wanted(false, nullptr));
    cr_expect_not(colour_wanted(false, "1"));
}

Test(hactl_table, state_words_painted_by_meaning) {
    const std::string master = paint_state("MASTER", true);
    const std::string fault = paint_state("FAULT", true);
    const std::string up = paint_state("UP", true);
    const std::string down = paint_state("DOWN", true);
    const std::string backup = paint_state("BACKUP", true);
    const std::string init = paint_state("INIT", true);
    const std::string unreachable = paint_state("unreachable", true);
    const std::string other = paint_state("eth0", true);
    const std::string off = paint_state("MASTER", false);
    cr_expect_str_eq(master.c_str(), "\x1b[1;32mMASTER\x1b[0m");
    cr_expect_str_eq(fault.c_str(), "\x1b[1;31mFAULT\x1b[0m");
    cr_expect_str_eq(up.c_str(), "\x1b[32mUP\x1b[0m");
    cr_expect_str_eq(down.c_str(), "\x1b[31mDOWN\x1b[0m");
    cr_expect_str_eq(backup.c_str(), "\x1b[36mBACKUP\x1b[0m");
    cr_expect_str_eq(init.c_str(), "\x1b[33mINIT\x1b[0m");
    cr_expect_str_eq(unreachable.c_str(), "\x1b[31munreachable\x1b[0m");
    cr_expect_str_eq(other.c_str(), "eth0");
    cr_expect_str_eq(off.c_str(), "MASTER");
}

Test(hactl_table, durations_for_people) {
    const std::string seconds = duration_text(187'000);
    const std::string hours = duration_text(7'500'000);
    const std::string days = duration_text(356'400'000);
    cr_expect_str_eq(seconds.c_str(), "3m07s");
    cr_expect_str_eq(hours.c_str(), "2h05m");
    cr_expect_str_eq(days.c_str(), "4d03h");
}
