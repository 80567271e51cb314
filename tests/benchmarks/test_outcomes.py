"""The per-runner outcome parsers, on output captured from the real runners in the polyglot image."""

from __future__ import annotations

import pytest

from benchmarks.outcomes import PARSERS, parse, parse_cargo, parse_catch2, parse_go, parse_jest, parse_junit

GO_PASS_AND_FAIL = """\
=== RUN   TestDigitSum
=== RUN   TestDigitSum/zero
=== RUN   TestDigitSum/negative_number
--- FAIL: TestDigitSum (0.00s)
    --- PASS: TestDigitSum/zero (0.00s)
    --- FAIL: TestDigitSum/negative_number (0.00s)
        digit_sum_test.go:9: DigitSum(-42) = -6, want 6
=== RUN   TestDigitSumOfLargeNumber
--- PASS: TestDigitSumOfLargeNumber (0.00s)
=== RUN   TestLater
    digit_sum_test.go:20: not today
--- SKIP: TestLater (0.00s)
FAIL
FAIL	digitsum	0.004s
FAIL
"""

GO_PANIC = """\
=== RUN   TestDigitSum
=== RUN   TestDigitSum/zero
--- FAIL: TestDigitSum (0.00s)
    --- FAIL: TestDigitSum/zero (0.00s)
panic: Please implement the DigitSum function [recovered]
	panic: Please implement the DigitSum function

goroutine 19 [running]:
testing.tRunner.func1.2({0x503260, 0x551ac8})
	/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e
FAIL	digitsum	0.006s
FAIL
"""

GO_HANG = """\
=== RUN   TestSlow
panic: test timed out after 10s
FAIL	digitsum	10.005s
"""

GO_BUILD_FAILED = """\
# digitsum [digitsum.test]
./digit_sum.go:5:1: syntax error: unexpected }, expecting expression
FAIL	digitsum [build failed]
FAIL
"""


def test_go_reads_tests_and_indented_subtests() -> None:
    assert parse_go(GO_PASS_AND_FAIL) == {
        "TestDigitSum": "FAILED",
        "TestDigitSum/zero": "PASSED",
        "TestDigitSum/negative_number": "FAILED",
        "TestDigitSumOfLargeNumber": "PASSED",
        "TestLater": "SKIPPED",
    }


def test_go_panic_reports_what_ran() -> None:
    assert parse_go(GO_PANIC) == {"TestDigitSum": "FAILED", "TestDigitSum/zero": "FAILED"}


def test_go_test_that_started_but_never_finished_is_an_error() -> None:
    assert parse_go(GO_HANG) == {"TestSlow": "ERROR"}


def test_go_build_failure_is_one_error_for_the_package() -> None:
    assert parse_go(GO_BUILD_FAILED) == {"digitsum (build)": "ERROR"}


CARGO_MIXED = """\
   Compiling clamp_range v0.1.0 (/repo)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.86s
     Running unittests src/lib.rs (/tmp/dgm-cargo/target/debug/deps/clamp_range-ab6dc92d8414e24e)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/clamp_range.rs (/tmp/dgm-cargo/target/debug/deps/clamp_range-b1424be1d0b9687b)

running 3 tests
test empty_input_gives_empty_output ... ok
test values_inside_the_range_are_kept ... FAILED
test tests::nested::values_outside ... ignored, slow

failures:

---- values_inside_the_range_are_kept stdout ----

thread 'values_inside_the_range_are_kept' panicked at src/lib.rs:2:5:
not yet implemented: clamp each of [1, 5, 9] into 0..=10

failures:
    values_inside_the_range_are_kept

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests clamp_range

running 1 test
test src/lib.rs - clamp_all (line 3) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.12s

error: test failed, to rerun pass `--test clamp_range`
"""

CARGO_COMPILE_ERROR = """\
   Compiling clamp_range v0.1.0 (/repo)
error[E0308]: mismatched types
 --> src/lib.rs:1:61
  |
  = note: expected struct `Vec<i32>`
             found struct `Vec<u8>`

Some errors have detailed explanations: E0277, E0308.
error: could not compile `clamp_range` (lib) due to 3 previous errors
warning: build failed, waiting for other jobs to finish...
error: could not compile `clamp_range` (lib test) due to 3 previous errors
"""


def test_cargo_reads_ok_failed_ignored_and_doc_tests() -> None:
    assert parse_cargo(CARGO_MIXED) == {
        "empty_input_gives_empty_output": "PASSED",
        "values_inside_the_range_are_kept": "FAILED",
        "tests::nested::values_outside": "SKIPPED",
        "src/lib.rs - clamp_all (line 3)": "PASSED",
    }


def test_cargo_compile_error_is_one_error_for_the_crate() -> None:
    assert parse_cargo(CARGO_COMPILE_ERROR) == {"clamp_range (build)": "ERROR"}


def test_a_namesake_pass_never_hides_a_failure() -> None:
    # Two test binaries (or packages) with a test of the same name: the failure must survive.
    output = "test shared_name ... FAILED\ntest shared_name ... ok\n"
    assert parse_cargo(output) == {"shared_name": "FAILED"}
    assert parse_cargo("test shared_name ... ok\ntest shared_name ... FAILED\n") == {"shared_name": "FAILED"}


JEST_OUTPUT = """\
  console.log
    hello

    world

      at Object.log (a.spec.js:3:13)

FAIL ./a.spec.js
  ✓ top level
  outer
    ✓ logs something (13 ms)
    ✕ fails (2 ms)
    ○ skipped skipped one
    ✎ todo later
    inner
      ✓ deep test (1.5 s)
  ✓ after the block

  ● outer › fails

    expect(received).toBe(expected) // Object.is equality

    Expected: 2
    Received: 1

    >  8 |   test('fails', () => { expect(1).toBe(2); });
         |                                   ^
       9 |   // ✓ a comment in the excerpt is not a test
      10 | test('top level', () => {});

      at Object.toBe (a.spec.js:8:35)

PASS ./title-words.spec.js (5.123 s)
  titleWords
    ✓ capitalises a single word (3 ms)
    spacing
      ✓ keeps double spaces (1 ms)

FAIL ./b.spec.js
  ● Test suite failed to run

    Cannot find module './missing' from 'b.spec.js'

Test Suites: 2 failed, 1 passed, 3 total
Tests:       1 failed, 1 skipped, 1 todo, 5 passed, 8 total
Snapshots:   0 total
Time:        0.741 s
Ran all test suites within paths "./a.spec.js", "./title-words.spec.js", "./b.spec.js".
"""


def test_jest_builds_ids_from_the_describe_tree() -> None:
    assert parse_jest(JEST_OUTPUT) == {
        "a.spec.js::top level": "PASSED",
        "a.spec.js::outer › logs something": "PASSED",
        "a.spec.js::outer › fails": "FAILED",
        "a.spec.js::outer › skipped one": "SKIPPED",
        "a.spec.js::outer › later": "SKIPPED",
        "a.spec.js::outer › inner › deep test": "PASSED",
        "a.spec.js::after the block": "PASSED",
        "title-words.spec.js::titleWords › capitalises a single word": "PASSED",
        "title-words.spec.js::titleWords › spacing › keeps double spaces": "PASSED",
        "b.spec.js (suite)": "ERROR",
    }


def test_jest_keeps_a_title_that_merely_starts_with_skipped() -> None:
    output = "PASS ./x.spec.js\n  ✓ skipped items are counted (1 ms)\n"
    assert parse_jest(output) == {"x.spec.js::skipped items are counted": "PASSED"}


JUNIT_TREE = """\
╷
└─ JUnit Jupiter ✔
   └─ ShapesTest ✔
      ├─ circleArea() ✘ 
      │        Expecting:
      │         <3>
      │        to be equal to:
      │         <4>
      │        but was not.
      ├─ later() ↷ not yet
      ├─ positive(int) ✔
      │  ├─ [1] 1 ✔
      │  └─ [2] 2 ✔
      ├─ squareArea() ✔
      ├─ the earliest second position wins ✘ expected: <true> but was: <false>
      └─ Triangles ✔
         └─ rightAngle() ✔

Failures (1):
  JUnit Jupiter:ShapesTest:circleArea()
    MethodSource [className = 'ShapesTest', methodName = 'circleArea', methodParameterTypes = '']
    => org.opentest4j.AssertionFailedError:

Test run finished after 155 ms
[         6 tests found           ]
[         1 tests skipped         ]
[         1 tests failed          ]
"""


def test_junit_tree_leaves_are_tests_with_their_class_path() -> None:
    assert parse_junit(JUNIT_TREE) == {
        "ShapesTest::circleArea()": "FAILED",
        "ShapesTest::later()": "SKIPPED",
        "ShapesTest::positive(int)::[1] 1": "PASSED",
        "ShapesTest::positive(int)::[2] 2": "PASSED",
        "ShapesTest::squareArea()": "PASSED",
        "ShapesTest::the earliest second position wins": "FAILED",
        "ShapesTest::Triangles::rightAngle()": "PASSED",
    }


def test_a_slow_junit_test_keeps_its_name_without_the_duration_the_launcher_adds() -> None:
    # Seen in java-alphametics: the same test must have the same id in every run.
    output = ("╷\n└─ JUnit Jupiter ✔\n   └─ AlphameticsTest ✔\n      ├─ testTenLetters() 15934 ms ✔\n"
              "      ├─ testSlowFailure() 6021 ms ✘ expected: <1> but was: <2>\n      └─ testFourLetters() ✔\n")
    assert parse_junit(output) == {"AlphameticsTest::testTenLetters()": "PASSED",
                                   "AlphameticsTest::testSlowFailure()": "FAILED",
                                   "AlphameticsTest::testFourLetters()": "PASSED"}


def test_junit_engines_without_tests_are_not_tests() -> None:
    output = ("╷\n├─ JUnit Platform Suite ✔\n├─ JUnit Jupiter ✔\n│  └─ LeapTest ✔\n│     └─ leap() ■ aborted\n"
              "└─ JUnit Vintage ✔\n")
    assert parse_junit(output) == {"LeapTest::leap()": "ERROR"}


CATCH2_XML = """\
[ 25%] Building CXX object CMakeFiles/bit-count.dir/bit_count_test.cpp.o
[100%] Built target bit-count
<?xml version="1.0" encoding="UTF-8"?>
<Catch name="bit-count">
  <Group name="bit-count">
    <TestCase name="zero has no set bits" tags="[b01]" filename="/tmp/dgm-cpp/bit-count/bit_count_test.cpp" line="4">
      <OverallResult success="true"/>
    </TestCase>
    <TestCase name="ones &amp; zeros &lt;mixed>" tags="[b03]" filename="/tmp/dgm-cpp/bit-count/bit_count_test.cpp" line="14">
      <Expression success="false" type="REQUIRE" filename="/tmp/dgm-cpp/bit-count/bit_count_test.cpp" line="15">
        <Original>
          3 == bit_count::count_ones(0b1010'0001u)
        </Original>
        <Expanded>
          3 == -1
        </Expanded>
      </Expression>
      <OverallResult success="false"/>
    </TestCase>
    <TestCase name="sections" filename="/tmp/x.cpp" line="20">
      <Section name="first" filename="/tmp/x.cpp" line="21">
        <OverallResults successes="1" failures="0" expectedFailures="0"/>
      </Section>
      <OverallResult success="true"/>
    </TestCase>
    <OverallResults successes="2" failures="1" expectedFailures="0"/>
    <OverallResultsCases successes="2" failures="1" expectedFailures="0"/>
  </Group>
  <OverallResults successes="2" failures="1" expectedFailures="0"/>
</Catch>
"""


def test_catch2_xml_gives_each_test_case_its_overall_result() -> None:
    assert parse_catch2(CATCH2_XML) == {
        "zero has no set bits": "PASSED",
        "ones & zeros <mixed>": "FAILED",
        "sections": "PASSED",
    }


def test_catch2_test_case_cut_off_by_a_crash_is_an_error() -> None:
    output = ('<Catch name="x">\n  <Group name="x">\n    <TestCase name="fine" line="1">\n'
              '      <OverallResult success="true"/>\n    </TestCase>\n'
              '    <TestCase name="segfaults" line="5">\n')
    assert parse_catch2(output) == {"fine": "PASSED", "segfaults": "ERROR"}


@pytest.mark.parametrize("runner", ["go", "cargo", "jest", "junit", "catch2", "pytest"])
def test_every_parser_is_registered_and_empty_output_means_no_tests(runner: str) -> None:
    assert runner in PARSERS
    assert parse(runner, "") == {}


def test_unknown_runner_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no outcome parser for runner 'gradle'"):
        parse("gradle", "")
