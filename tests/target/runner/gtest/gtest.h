// SPDX-License-Identifier: Apache-2.0
// The target test runner: the subset of the GoogleTest API the portable unit suites use (TEST,
// TEST_P with INSTANTIATE_TEST_SUITE_P, EXPECT_/ASSERT_ comparisons with streamed messages,
// SCOPED_TRACE), small enough for a Cortex-M image under QEMU. The host build uses GoogleTest
// itself; the target build puts this directory first on the include path so the same test files
// compile unchanged. A failure prints file:line, the expression and both values; the program's
// exit status (through semihosting) is non-zero when any check failed or no test ran.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace testing {

class Message {
public:
    template <class T>
    Message& operator<<(const T& value);
    const std::string& str() const { return m_text; }

private:
    std::string m_text;
};

class Test {
public:
    virtual ~Test() = default;
    virtual void SetUp() {}
    virtual void TearDown() {}
    virtual void TestBody() = 0;
};

template <class T>
struct TestParamInfo {
    T param;
    std::size_t index;
};

namespace internal {

template <class T>
const T*& current_param() {
    static const T* param = nullptr;
    return param;
}

template <class T>
void print_value(std::string& out, const T& value);

inline void append_number(std::string& out, long long v) { out += std::to_string(v); }
inline void append_unsigned(std::string& out, unsigned long long v) { out += std::to_string(v); }

template <class T>
concept Iterable = requires(const T& t) {
    t.begin();
    t.end();
};

template <class T>
void print_value(std::string& out, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        out += value ? "true" : "false";
    } else if constexpr (std::is_null_pointer_v<T>) {
        out += "nullptr";
    } else if constexpr (std::is_enum_v<T>) {
        append_number(out, static_cast<long long>(value));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
        append_number(out, value);
    } else if constexpr (std::is_integral_v<T>) {
        append_unsigned(out, value);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        const std::string_view s(value);
        out += '"';
        out.append(s.substr(0, 200));
        if (s.size() > 200) out += "...";
        out += '"';
    } else if constexpr (std::is_pointer_v<T>) {
        out += value == nullptr ? "(null)" : "(pointer)";
    } else if constexpr (Iterable<T>) {
        out += '{';
        std::size_t n = 0;
        for (const auto& element : value) {
            if (n != 0) out += ", ";
            if (++n > 64) {
                out += "...";
                break;
            }
            print_value(out, element);
        }
        out += '}';
    } else {
        out += "(a value)";
    }
}

template <class T>
std::string to_text(const T& value) {
    std::string out;
    print_value(out, value);
    return out;
}

// The outcome of one check: empty when it passed, else what failed.
struct Outcome {
    bool passed = true;
    std::string what;
    explicit operator bool() const { return passed; }
};

inline Outcome pass() { return {}; }

template <class A, class B>
Outcome fail(const char* op, const char* a_text, const char* b_text, const A& a, const B& b) {
    return {false,
            std::string("expected ") + a_text + " " + op + " " + b_text + ", got " + to_text(a) + " vs " + to_text(b)};
}

#define SEBIND_TARGET_COMPARE_(name, op)                                           \
    template <class A, class B>                                                    \
    Outcome name(const char* a_text, const char* b_text, const A& a, const B& b) { \
        if (a op b) return pass();                                                 \
        return fail(#op, a_text, b_text, a, b);                                    \
    }
SEBIND_TARGET_COMPARE_(compare_eq, ==)
SEBIND_TARGET_COMPARE_(compare_ne, !=)
SEBIND_TARGET_COMPARE_(compare_lt, <)
SEBIND_TARGET_COMPARE_(compare_le, <=)
SEBIND_TARGET_COMPARE_(compare_gt, >)
SEBIND_TARGET_COMPARE_(compare_ge, >=)
#undef SEBIND_TARGET_COMPARE_

inline Outcome compare_streq(const char* a_text, const char* b_text, const char* a, const char* b) {
    if (a == b || (a != nullptr && b != nullptr && std::strcmp(a, b) == 0)) return pass();
    return fail("==", a_text, b_text, a == nullptr ? "(null)" : a, b == nullptr ? "(null)" : b);
}

inline Outcome check_bool(bool value, bool expected, const char* text) {
    if (value == expected) return pass();
    return {false, std::string("expected ") + text + " to be " + (expected ? "true" : "false")};
}

// Records a failed check of the running test: `Report(...) = Message() << ...`.
class Report {
public:
    Report(const char* file, int line, const Outcome& outcome) : m_file(file), m_line(line), m_outcome(outcome) {}
    void operator=(const Message& message) const;

private:
    const char* m_file;
    int m_line;
    Outcome m_outcome;
};

class ScopedTrace {
public:
    ScopedTrace(const char* file, int line, const Message& message);
    ~ScopedTrace();
    ScopedTrace(const ScopedTrace&) = delete;
    ScopedTrace& operator=(const ScopedTrace&) = delete;
};

bool register_test(const char* suite, const char* name, void (*body)());
// Instances of parameterized tests are made in main, when every TEST_P and INSTANTIATE is known.
bool register_generator(std::function<void()> generate);
void add_test(std::string full_name, std::function<void()> body);

template <class Suite>
struct ParamTests {
    using Param = typename Suite::ParamType;
    struct Entry {
        const char* name;
        void (*run)();
    };
    static std::vector<Entry>& tests() {
        static std::vector<Entry> entries;
        return entries;
    }
    static bool add(const char* name, void (*run)()) {
        tests().push_back({name, run});
        return true;
    }
    template <class Namer>
    static bool instantiate(const char* prefix, const char* suite, std::vector<Param> params, Namer namer) {
        return register_generator([prefix, suite, params = std::move(params), namer] {
            for (const Entry& test : tests()) {
                for (std::size_t i = 0; i < params.size(); ++i) {
                    const std::string label = namer(TestParamInfo<Param>{params[i], i});
                    const Param* param = &params[i];
                    void (*run)() = test.run;
                    add_test(std::string(prefix) + "/" + suite + "." + test.name + "/" + label, [param, run] {
                        current_param<Param>() = param;
                        run();
                    });
                }
            }
        });
    }
};

template <class... Ts>
struct ValueList {
    std::tuple<Ts...> values;
    template <class T>
    std::vector<T> as() const {
        return std::apply([](const auto&... v) { return std::vector<T>{static_cast<T>(v)...}; }, values);
    }
};

struct IndexNamer {
    template <class Info>
    std::string operator()(const Info& info) const {
        return std::to_string(info.index);
    }
};

}  // namespace internal

template <class T>
class WithParamInterface {
public:
    using ParamType = T;
    static const T& GetParam() { return *internal::current_param<T>(); }
};

template <class T>
class TestWithParam : public Test, public WithParamInterface<T> {};

template <class... Ts>
internal::ValueList<Ts...> Values(Ts... values) {
    return {std::tuple<Ts...>(values...)};
}

template <class T>
Message& Message::operator<<(const T& value) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        m_text.append(std::string_view(value));
    } else {
        internal::print_value(m_text, value);
    }
    return *this;
}

}  // namespace testing

#define SEBIND_TARGET_CAT2_(a, b) a##b
#define SEBIND_TARGET_CAT_(a, b) SEBIND_TARGET_CAT2_(a, b)

#define TEST(suite, name)                                                                                \
    static void suite##_##name##_body();                                                                 \
    [[maybe_unused]] static const bool suite##_##name##_registered = ::testing::internal::register_test( \
        #suite, #name, &suite##_##name##_body);                                                          \
    static void suite##_##name##_body()

#define TEST_P(suite, name)                                                                                \
    namespace {                                                                                            \
    class suite##_##name##_Test : public suite {                                                           \
    public:                                                                                                \
        void TestBody() override;                                                                          \
        static void run() {                                                                                \
            suite##_##name##_Test t;                                                                       \
            t.SetUp();                                                                                     \
            t.TestBody();                                                                                  \
            t.TearDown();                                                                                  \
        }                                                                                                  \
    };                                                                                                     \
    [[maybe_unused]] const bool suite##_##name##_registered = ::testing::internal::ParamTests<suite>::add( \
        #name, &suite##_##name##_Test::run);                                                               \
    }                                                                                                      \
    void suite##_##name##_Test::TestBody()

#define SEBIND_TARGET_INSTANTIATE_(prefix, suite, values, namer)             \
    [[maybe_unused]] static const bool prefix##_##suite##_instantiated =     \
        ::testing::internal::ParamTests<suite>::instantiate(#prefix, #suite, \
                                                            (values).template as<typename suite::ParamType>(), namer)
#define SEBIND_TARGET_INSTANTIATE_DEFAULT_(prefix, suite, values) \
    SEBIND_TARGET_INSTANTIATE_(prefix, suite, values, ::testing::internal::IndexNamer())
#define SEBIND_TARGET_PICK_(a, b, c, d, chosen, ...) chosen
#define INSTANTIATE_TEST_SUITE_P(...) \
    SEBIND_TARGET_PICK_(__VA_ARGS__, SEBIND_TARGET_INSTANTIATE_, SEBIND_TARGET_INSTANTIATE_DEFAULT_, )(__VA_ARGS__)

// A loop that runs its body once when the check failed: a following `<< message` stays attached to
// this check, and a caller's own `if (...) CHECK; else ...` stays unambiguous.
#define SEBIND_TARGET_CHECK_(outcome_expr, on_failure)                                           \
    for (::testing::internal::Outcome sebind_outcome_ = (outcome_expr); !sebind_outcome_.passed; \
         sebind_outcome_.passed = true)                                                          \
    on_failure ::testing::internal::Report(__FILE__, __LINE__, sebind_outcome_) = ::testing::Message()

#define SEBIND_TARGET_CMP_(fn, a, b, on_failure) \
    SEBIND_TARGET_CHECK_(::testing::internal::fn(#a, #b, (a), (b)), on_failure)

#define EXPECT_EQ(a, b) SEBIND_TARGET_CMP_(compare_eq, a, b, )
#define EXPECT_NE(a, b) SEBIND_TARGET_CMP_(compare_ne, a, b, )
#define EXPECT_LT(a, b) SEBIND_TARGET_CMP_(compare_lt, a, b, )
#define EXPECT_LE(a, b) SEBIND_TARGET_CMP_(compare_le, a, b, )
#define EXPECT_GT(a, b) SEBIND_TARGET_CMP_(compare_gt, a, b, )
#define EXPECT_GE(a, b) SEBIND_TARGET_CMP_(compare_ge, a, b, )
#define EXPECT_STREQ(a, b) SEBIND_TARGET_CMP_(compare_streq, a, b, )
#define ASSERT_EQ(a, b) SEBIND_TARGET_CMP_(compare_eq, a, b, return )
#define ASSERT_NE(a, b) SEBIND_TARGET_CMP_(compare_ne, a, b, return )
#define ASSERT_LT(a, b) SEBIND_TARGET_CMP_(compare_lt, a, b, return )
#define ASSERT_LE(a, b) SEBIND_TARGET_CMP_(compare_le, a, b, return )
#define ASSERT_GT(a, b) SEBIND_TARGET_CMP_(compare_gt, a, b, return )
#define ASSERT_GE(a, b) SEBIND_TARGET_CMP_(compare_ge, a, b, return )
#define ASSERT_STREQ(a, b) SEBIND_TARGET_CMP_(compare_streq, a, b, return )
#define EXPECT_TRUE(c) SEBIND_TARGET_CHECK_(::testing::internal::check_bool(static_cast<bool>(c), true, #c), )
#define EXPECT_FALSE(c) SEBIND_TARGET_CHECK_(::testing::internal::check_bool(static_cast<bool>(c), false, #c), )
#define ASSERT_TRUE(c) SEBIND_TARGET_CHECK_(::testing::internal::check_bool(static_cast<bool>(c), true, #c), return )
#define ASSERT_FALSE(c) SEBIND_TARGET_CHECK_(::testing::internal::check_bool(static_cast<bool>(c), false, #c), return )
#define ADD_FAILURE() SEBIND_TARGET_CHECK_((::testing::internal::Outcome{false, "failure"}), )
#define FAIL() SEBIND_TARGET_CHECK_((::testing::internal::Outcome{false, "failure"}), return )

#define SCOPED_TRACE(message)                                                                        \
    ::testing::internal::ScopedTrace SEBIND_TARGET_CAT_(sebind_trace_, __LINE__)(__FILE__, __LINE__, \
                                                                                 ::testing::Message() << (message))
