#include "newshound/plugin/date.h"

#include <array>
#include <cstdio>
#include <vector>

#include "newshound/plugin/text.h"

namespace newshound::sdk {
namespace {

// --- Calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---

bool IsLeap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr int64_t kSecondsPerDay = 86400;

bool ValidTime(int hour, int minute, int second) {
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

// --- Text normalization for matching ---

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// --- Words ---

enum class WordKind {
  kMonth,     // value: 1..12
  kWeekday,   // carries nothing: sites often get it wrong, so it is not checked
  kZone,      // GMT / UTC
  kMeridiem,  // value: 0 am, 1 pm
  kArabicMeem,  // "م": pm after a time, "AD" after a year
  kFiller,    // labels and connectives that carry nothing
};

struct Word {
  const char* text;  // folded form
  WordKind kind;
  int value;
};

// Folded forms only: the alef variants, teh marbuta and the rest are
// folded in the input before lookup, so one entry covers them all.
constexpr Word kWords[] = {
    // English months.
    {"january", WordKind::kMonth, 1}, {"jan", WordKind::kMonth, 1},
    {"february", WordKind::kMonth, 2}, {"feb", WordKind::kMonth, 2},
    {"march", WordKind::kMonth, 3}, {"mar", WordKind::kMonth, 3},
    {"april", WordKind::kMonth, 4}, {"apr", WordKind::kMonth, 4},
    {"may", WordKind::kMonth, 5},
    {"june", WordKind::kMonth, 6}, {"jun", WordKind::kMonth, 6},
    {"july", WordKind::kMonth, 7}, {"jul", WordKind::kMonth, 7},
    {"august", WordKind::kMonth, 8}, {"aug", WordKind::kMonth, 8},
    {"september", WordKind::kMonth, 9}, {"sept", WordKind::kMonth, 9}, {"sep", WordKind::kMonth, 9},
    {"october", WordKind::kMonth, 10}, {"oct", WordKind::kMonth, 10},
    {"november", WordKind::kMonth, 11}, {"nov", WordKind::kMonth, 11},
    {"december", WordKind::kMonth, 12}, {"dec", WordKind::kMonth, 12},
    // Arabic months, Levantine/Iraqi series.
    {"كانون الثاني", WordKind::kMonth, 1}, {"كانون ثاني", WordKind::kMonth, 1},
    {"شباط", WordKind::kMonth, 2},
    {"اذار", WordKind::kMonth, 3},
    {"نيسان", WordKind::kMonth, 4},
    {"ايار", WordKind::kMonth, 5},
    {"حزيران", WordKind::kMonth, 6},
    {"تموز", WordKind::kMonth, 7},
    {"اب", WordKind::kMonth, 8},
    {"ايلول", WordKind::kMonth, 9},
    {"تشرين الاول", WordKind::kMonth, 10}, {"تشرين اول", WordKind::kMonth, 10},
    {"تشرين الثاني", WordKind::kMonth, 11}, {"تشرين ثاني", WordKind::kMonth, 11},
    {"كانون الاول", WordKind::kMonth, 12}, {"كانون اول", WordKind::kMonth, 12},
    // Arabic months, Egyptian series (also used across the Gulf).
    {"يناير", WordKind::kMonth, 1},
    {"فبراير", WordKind::kMonth, 2},
    {"مارس", WordKind::kMonth, 3},
    {"ابريل", WordKind::kMonth, 4},
    {"مايو", WordKind::kMonth, 5},
    {"يونيو", WordKind::kMonth, 6}, {"يونيه", WordKind::kMonth, 6},
    {"يوليو", WordKind::kMonth, 7}, {"يوليه", WordKind::kMonth, 7},
    {"اغسطس", WordKind::kMonth, 8},
    {"سبتمبر", WordKind::kMonth, 9},
    {"اكتوبر", WordKind::kMonth, 10},
    {"نوفمبر", WordKind::kMonth, 11},
    {"ديسمبر", WordKind::kMonth, 12},
    // Moroccan and Algerian variants (French-derived).
    {"ماي", WordKind::kMonth, 5},
    {"يوليوز", WordKind::kMonth, 7},
    {"غشت", WordKind::kMonth, 8},
    {"شتنبر", WordKind::kMonth, 9},
    {"نونبر", WordKind::kMonth, 11},
    {"دجنبر", WordKind::kMonth, 12},
    {"جانفي", WordKind::kMonth, 1},
    {"فيفري", WordKind::kMonth, 2},
    {"افريل", WordKind::kMonth, 4},
    {"جوان", WordKind::kMonth, 6},
    {"جويليه", WordKind::kMonth, 7},
    {"اوت", WordKind::kMonth, 8},
    // Weekdays.
    {"monday", WordKind::kWeekday, 0}, {"mon", WordKind::kWeekday, 0},
    {"tuesday", WordKind::kWeekday, 0}, {"tues", WordKind::kWeekday, 0}, {"tue", WordKind::kWeekday, 0},
    {"wednesday", WordKind::kWeekday, 0}, {"wed", WordKind::kWeekday, 0},
    {"thursday", WordKind::kWeekday, 0}, {"thurs", WordKind::kWeekday, 0},
    {"thur", WordKind::kWeekday, 0}, {"thu", WordKind::kWeekday, 0},
    {"friday", WordKind::kWeekday, 0}, {"fri", WordKind::kWeekday, 0},
    {"saturday", WordKind::kWeekday, 0}, {"sat", WordKind::kWeekday, 0},
    {"sunday", WordKind::kWeekday, 0}, {"sun", WordKind::kWeekday, 0},
    {"الاحد", WordKind::kWeekday, 0}, {"الاثنين", WordKind::kWeekday, 0},
    {"الثلاثاء", WordKind::kWeekday, 0}, {"الاربعاء", WordKind::kWeekday, 0},
    {"الخميس", WordKind::kWeekday, 0}, {"الجمعه", WordKind::kWeekday, 0},
    {"السبت", WordKind::kWeekday, 0},
    {"احد", WordKind::kWeekday, 0}, {"اثنين", WordKind::kWeekday, 0},
    {"ثلاثاء", WordKind::kWeekday, 0}, {"اربعاء", WordKind::kWeekday, 0},
    {"خميس", WordKind::kWeekday, 0}, {"جمعه", WordKind::kWeekday, 0}, {"سبت", WordKind::kWeekday, 0},
    // Zones read as UTC.
    {"gmt", WordKind::kZone, 0}, {"utc", WordKind::kZone, 0},
    {"بتوقيت غرينتش", WordKind::kZone, 0}, {"بتوقيت جرينتش", WordKind::kZone, 0},
    {"غرينتش", WordKind::kZone, 0}, {"جرينتش", WordKind::kZone, 0},
    // Meridiem.
    {"am", WordKind::kMeridiem, 0}, {"a.m.", WordKind::kMeridiem, 0}, {"a.m", WordKind::kMeridiem, 0},
    {"pm", WordKind::kMeridiem, 1}, {"p.m.", WordKind::kMeridiem, 1}, {"p.m", WordKind::kMeridiem, 1},
    {"ص", WordKind::kMeridiem, 0}, {"صباحا", WordKind::kMeridiem, 0},
    {"مساء", WordKind::kMeridiem, 1}, {"مساءا", WordKind::kMeridiem, 1},
    {"م", WordKind::kArabicMeem, 0},
    // Labels and connectives.
    {"last updated", WordKind::kFiller, 0}, {"last update", WordKind::kFiller, 0},
    {"updated", WordKind::kFiller, 0}, {"published", WordKind::kFiller, 0},
    {"posted", WordKind::kFiller, 0}, {"on", WordKind::kFiller, 0}, {"at", WordKind::kFiller, 0},
    {"the", WordKind::kFiller, 0}, {"of", WordKind::kFiller, 0},
    {"اخر تحديث", WordKind::kFiller, 0}, {"تحديث", WordKind::kFiller, 0},
    {"نشر في", WordKind::kFiller, 0}, {"نشر", WordKind::kFiller, 0}, {"في", WordKind::kFiller, 0},
    {"الساعه", WordKind::kFiller, 0},
};

// A folded character that continues a word: ASCII letters and everything
// beyond ASCII (Arabic letters above all).
bool IsWordByte(char c) { return IsAsciiLetter(c) || static_cast<unsigned char>(c) >= 0x80; }

// The longest dictionary word starting at `pos` and ending at a word
// boundary, and its length in bytes.
const Word* MatchWord(std::string_view s, size_t pos, size_t* length) {
  const Word* best = nullptr;
  size_t best_length = 0;
  for (const Word& word : kWords) {
    const std::string_view text(word.text);
    if (text.size() <= best_length || s.substr(pos, text.size()) != text) continue;
    const size_t end = pos + text.size();
    // "a.m." ends in punctuation, so what follows is free.
    if (end < s.size() && IsWordByte(s[end]) && IsWordByte(text.back())) continue;
    best = &word;
    best_length = text.size();
  }
  *length = best_length;
  return best;
}

// --- Tokens ---

struct Token {
  enum class Kind { kNumber, kTime, kWord } kind = Kind::kNumber;
  int value = 0;      // kNumber: the number
  int digits = 0;     // kNumber: how many digits it was written with
  TimeOfDay time;     // kTime
  const Word* word = nullptr;  // kWord
};

bool IsSeparator(char c) {
  switch (c) {
    case ' ': case ',': case ';': case '/': case '-': case '|': case '.': case '(': case ')':
    case ':': case '[': case ']':
      return true;
    default:
      return false;
  }
}

// Reads 1..max_digits ASCII digits at pos into *value.
bool ReadNumber(std::string_view s, size_t* pos, size_t min_digits, size_t max_digits, int* value) {
  size_t end = *pos;
  int v = 0;
  while (end < s.size() && IsAsciiDigit(s[end]) && end - *pos < max_digits) v = v * 10 + (s[end++] - '0');
  if (end - *pos < min_digits) return false;
  *value = v;
  *pos = end;
  return true;
}

// Splits a folded stamp into numbers, times and dictionary words.
// nullopt when anything else is in it.
std::optional<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (pos < s.size()) {
    const char c = s[pos];
    if (IsSeparator(c)) {
      ++pos;
      continue;
    }
    if (IsAsciiDigit(c)) {
      size_t end = pos;
      while (end < s.size() && IsAsciiDigit(s[end])) ++end;
      Token token;
      if (end < s.size() && s[end] == ':' && end + 1 < s.size() && IsAsciiDigit(s[end + 1])) {
        // HH:MM[:SS]
        if (end - pos > 2) return std::nullopt;
        TimeOfDay time;
        size_t p = pos;
        if (!ReadNumber(s, &p, 1, 2, &time.hour)) return std::nullopt;
        ++p;  // ':'
        if (!ReadNumber(s, &p, 2, 2, &time.minute)) return std::nullopt;
        if (p + 1 < s.size() && s[p] == ':' && IsAsciiDigit(s[p + 1])) {
          ++p;
          if (!ReadNumber(s, &p, 2, 2, &time.second)) return std::nullopt;
        }
        if (p < s.size() && IsAsciiDigit(s[p])) return std::nullopt;
        if (!ValidTime(time.hour, time.minute, time.second)) return std::nullopt;
        token.kind = Token::Kind::kTime;
        token.time = time;
        end = p;
      } else {
        if (end - pos > 4) return std::nullopt;
        token.kind = Token::Kind::kNumber;
        token.digits = static_cast<int>(end - pos);
        size_t p = pos;
        ReadNumber(s, &p, 1, 4, &token.value);
        // English ordinals: 1st, 2nd, 3rd, 10th.
        for (std::string_view suffix : {"st", "nd", "rd", "th"}) {
          if (s.substr(end, 2) == suffix && (end + 2 == s.size() || !IsWordByte(s[end + 2]))) {
            end += 2;
            break;
          }
        }
      }
      tokens.push_back(token);
      pos = end;
      continue;
    }
    size_t length = 0;
    const Word* word = MatchWord(s, pos, &length);
    if (word == nullptr) return std::nullopt;
    Token token;
    token.kind = Token::Kind::kWord;
    token.word = word;
    tokens.push_back(token);
    pos += length;
  }
  return tokens;
}

// Applies an am/pm marker to a 12-hour clock time.
bool ApplyMeridiem(TimeOfDay* time, int pm) {
  if (time->hour < 1 || time->hour > 12) return false;
  time->hour = time->hour % 12 + (pm ? 12 : 0);
  return true;
}

// What a token list says: at most one time (with its meridiem applied),
// the months named, and the numbers. False when the tokens contradict
// themselves or hold a misplaced meridiem.
struct Reading {
  std::optional<TimeOfDay> time;
  std::vector<int> months;
  std::vector<Token> numbers;
};

bool Read(const std::vector<Token>& tokens, Reading* reading) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    switch (token.kind) {
      case Token::Kind::kTime:
        if (reading->time) return false;
        reading->time = token.time;
        break;
      case Token::Kind::kNumber:
        reading->numbers.push_back(token);
        break;
      case Token::Kind::kWord: {
        const bool after_time = i > 0 && tokens[i - 1].kind == Token::Kind::kTime;
        switch (token.word->kind) {
          case WordKind::kMonth:
            reading->months.push_back(token.word->value);
            break;
          case WordKind::kMeridiem:
            if (!after_time || !ApplyMeridiem(&*reading->time, token.word->value)) return false;
            break;
          case WordKind::kArabicMeem:
            // After a time it means evening; elsewhere it marks the
            // Gregorian era and carries nothing.
            if (after_time && !ApplyMeridiem(&*reading->time, 1)) return false;
            break;
          case WordKind::kWeekday:
          case WordKind::kZone:
          case WordKind::kFiller:
            break;
        }
        break;
      }
    }
  }
  return true;
}

// --- Fixed-format helpers ---

// A cursor over ASCII text for the strict formats.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return pos_ == s_.size(); }
  char Peek() const { return Done() ? '\0' : s_[pos_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  bool Digits(size_t n, int* value) {
    if (pos_ + n > s_.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!IsAsciiDigit(s_[pos_ + i])) return false;
      v = v * 10 + (s_[pos_ + i] - '0');
    }
    pos_ += n;
    *value = v;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<DateTime> ApplyOffset(const DateTime& local, int offset_seconds) {
  return DateTime::FromUnixSeconds(local.ToUnixSeconds() - offset_seconds);
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
    size_t end = pos;
    while (end < s.size() && s[end] != ' ') ++end;
    if (end > pos) words.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAsciiDigit(c)) return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::optional<int> EnglishMonth(std::string_view word) {
  size_t length = 0;
  const std::string folded = LowerAscii(word);
  const Word* match = MatchWord(folded, 0, &length);
  if (match == nullptr || match->kind != WordKind::kMonth || length != folded.size() ||
      !IsAsciiLetter(folded.front())) {
    return std::nullopt;
  }
  return match->value;
}

bool IsEnglishWeekday(std::string_view word) {
  size_t length = 0;
  const Word* match = MatchWord(word, 0, &length);
  return match != nullptr && match->kind == WordKind::kWeekday && length == word.size() &&
         IsAsciiLetter(word.front());
}

}  // namespace

// --- DateTime ---

std::optional<DateTime> DateTime::Make(int year, int month, int day, int hour, int minute, int second) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      !ValidTime(hour, minute, second)) {
    return std::nullopt;
  }
  DateTime dt;
  dt.year = year;
  dt.month = month;
  dt.day = day;
  dt.hour = hour;
  dt.minute = minute;
  dt.second = second;
  return dt;
}

std::optional<DateTime> DateTime::FromUnixSeconds(int64_t seconds) {
  static const int64_t kMin = DaysFromCivil(1, 1, 1) * kSecondsPerDay;
  static const int64_t kMax = DaysFromCivil(9999, 12, 31) * kSecondsPerDay + kSecondsPerDay - 1;
  if (seconds < kMin || seconds > kMax) return std::nullopt;
  int64_t days = seconds / kSecondsPerDay;
  int64_t rest = seconds % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  return Make(static_cast<int>(date.year), date.month, date.day, static_cast<int>(rest / 3600),
              static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
}

int64_t DateTime::ToUnixSeconds() const {
  return DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

std::string DateTime::ToIso() const {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour, minute,
                second);
  return buffer;
}

DateTime DateTime::WithTime(const TimeOfDay& time) const {
  DateTime dt = *this;
  if (ValidTime(time.hour, time.minute, time.second)) {
    dt.hour = time.hour;
    dt.minute = time.minute;
    dt.second = time.second;
  }
  return dt;
}

// --- Parsers ---

std::optional<DateTime> ParseIsoDateTime(std::string_view text) {
  const std::string s = NormalizeSpace(text);
  Cursor in(s);
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!in.Digits(4, &year) || !in.Eat('-') || !in.Digits(2, &month) || !in.Eat('-') || !in.Digits(2, &day)) {
    return std::nullopt;
  }
  int offset_seconds = 0;
  if (!in.Done()) {
    if (!in.Eat('T') && !in.Eat('t') && !in.Eat(' ')) return std::nullopt;
    if (!in.Digits(2, &hour) || !in.Eat(':') || !in.Digits(2, &minute)) return std::nullopt;
    if (in.Eat(':')) {
      if (!in.Digits(2, &second)) return std::nullopt;
      if (in.Eat('.') || in.Eat(',')) {
        int digit;
        if (!in.Digits(1, &digit)) return std::nullopt;
        while (in.Digits(1, &digit)) {
        }
      }
    }
    if (in.Eat('Z') || in.Eat('z')) {
      // UTC
    } else if (in.Peek() == '+' || in.Peek() == '-') {
      const int sign = in.Peek() == '-' ? -1 : 1;
      in.Eat(in.Peek());
      int offset_hours, offset_minutes = 0;
      if (!in.Digits(2, &offset_hours)) return std::nullopt;
      if (in.Eat(':')) {
        if (!in.Digits(2, &offset_minutes)) return std::nullopt;
      } else if (!in.Done()) {
        if (!in.Digits(2, &offset_minutes)) return std::nullopt;
      }
      if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
      offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
    }
    if (!in.Done()) return std::nullopt;
  }
  auto local = DateTime::Make(year, month, day, hour, minute, second);
  if (!local) return std::nullopt;
  return ApplyOffset(*local, offset_seconds);
}

std::optional<DateTime> ParseRfc822(std::string_view text) {
  std::string s = LowerAscii(NormalizeSpace(text));
  for (char& c : s) {
    if (c == ',') c = ' ';
  }
  const std::vector<std::string_view> words = SplitSpaces(s);
  size_t i = 0;
  if (i < words.size() && IsEnglishWeekday(words[i])) ++i;

  std::string_view day_text, month_text, year_text;
  if (i < words.size() && words[i].find('-') != std::string_view::npos) {
    // RFC 850: "10-oct-17".
    const std::string_view date = words[i++];
    const size_t first = date.find('-');
    const size_t second = date.find('-', first + 1);
    if (second == std::string_view::npos || date.find('-', second + 1) != std::string_view::npos) {
      return std::nullopt;
    }
    day_text = date.substr(0, first);
    month_text = date.substr(first + 1, second - first - 1);
    year_text = date.substr(second + 1);
  } else {
    if (i + 3 > words.size()) return std::nullopt;
    day_text = words[i++];
    month_text = words[i++];
    year_text = words[i++];
  }
  if (!AllDigits(day_text) || day_text.size() > 2 || !AllDigits(year_text) || year_text.size() < 2 ||
      year_text.size() > 4) {
    return std::nullopt;
  }
  const std::optional<int> month = EnglishMonth(month_text);
  if (!month) return std::nullopt;
  int year = ToInt(year_text);
  if (year_text.size() == 2) {
    year += year < 50 ? 2000 : 1900;
  } else if (year_text.size() == 3) {
    year += 1900;
  }

  // The time is required: without it this is not an RFC 822 date.
  if (i >= words.size()) return std::nullopt;
  Cursor clock(words[i++]);
  int hour, minute, second = 0;
  if (!clock.Digits(2, &hour) || !clock.Eat(':') || !clock.Digits(2, &minute)) return std::nullopt;
  if (clock.Eat(':') && !clock.Digits(2, &second)) return std::nullopt;
  if (!clock.Done()) return std::nullopt;

  int offset_seconds = 0;
  if (i < words.size()) {
    const std::string_view zone = words[i++];
    struct NamedZone {
      const char* name;
      int hours;
    };
    static constexpr NamedZone kZones[] = {{"gmt", 0},  {"ut", 0},   {"utc", 0},  {"z", 0},
                                           {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
                                           {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
    bool known = false;
    for (const NamedZone& named : kZones) {
      if (zone == named.name) {
        offset_seconds = named.hours * 3600;
        known = true;
      }
    }
    if (!known) {
      if (zone.size() != 5 || (zone[0] != '+' && zone[0] != '-') || !AllDigits(zone.substr(1))) {
        return std::nullopt;
      }
      const int hours = ToInt(zone.substr(1, 2));
      const int minutes = ToInt(zone.substr(3, 2));
      if (hours > 23 || minutes > 59) return std::nullopt;
      offset_seconds = (zone[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
    }
  }
  if (i != words.size()) return std::nullopt;
  auto local = DateTime::Make(year, *month, ToInt(day_text), hour, minute, second);
  if (!local) return std::nullopt;
  return ApplyOffset(*local, offset_seconds);
}

std::optional<DateTime> ParseStamp(std::string_view text) {
  const auto tokens = Tokenize(FoldForMatching(text));
  if (!tokens) return std::nullopt;
  Reading reading;
  if (!Read(*tokens, &reading) || reading.months.empty()) return std::nullopt;
  // "أكتوبر/تشرين الأول" names the month twice; both names must agree.
  for (int month : reading.months) {
    if (month != reading.months.front()) return std::nullopt;
  }
  std::optional<int> year, day;
  for (const Token& number : reading.numbers) {
    if (number.digits == 4 && !year) {
      year = number.value;
    } else if (number.digits <= 2 && !day) {
      day = number.value;
    } else {
      return std::nullopt;
    }
  }
  if (!year || !day) return std::nullopt;
  const TimeOfDay time = reading.time.value_or(TimeOfDay{});
  return DateTime::Make(*year, reading.months.front(), *day, time.hour, time.minute, time.second);
}

std::optional<TimeOfDay> ParseTimeOfDay(std::string_view text) {
  const auto tokens = Tokenize(FoldForMatching(text));
  if (!tokens) return std::nullopt;
  Reading reading;
  if (!Read(*tokens, &reading) || !reading.time || !reading.months.empty() || !reading.numbers.empty()) {
    return std::nullopt;
  }
  return reading.time;
}

std::optional<DateTime> ParseRelative(std::string_view text, int64_t reference_ms) {
  // Floor division: a reference before 1970 must not round up.
  int64_t reference = reference_ms / 1000;
  if (reference_ms % 1000 < 0) --reference;

  const std::string folded = FoldForMatching(text);
  std::vector<std::string_view> words = SplitSpaces(folded);
  if (words.empty()) return std::nullopt;

  const auto is_one_of = [](std::string_view word, std::initializer_list<std::string_view> options) {
    for (std::string_view option : options) {
      if (word == option) return true;
    }
    return false;
  };
  const std::string joined = [&] {
    std::string s;
    for (std::string_view w : words) {
      if (!s.empty()) s += ' ';
      s += w;
    }
    return s;
  }();
  if (is_one_of(joined, {"now", "just now", "right now", "a moment ago", "moments ago", "الان"})) {
    return DateTime::FromUnixSeconds(reference);
  }

  // Unit words, with how many seconds they stand for and, for Arabic duals,
  // the count they imply.
  struct Unit {
    std::string_view word;
    int64_t seconds;
    int implied_count;  // 0: needs a number (or means one when alone)
  };
  static constexpr Unit kUnits[] = {
      {"second", 1, 0},       {"seconds", 1, 0},     {"sec", 1, 0},        {"secs", 1, 0},
      {"minute", 60, 0},      {"minutes", 60, 0},    {"min", 60, 0},       {"mins", 60, 0},
      {"hour", 3600, 0},      {"hours", 3600, 0},    {"hr", 3600, 0},      {"hrs", 3600, 0},
      {"day", 86400, 0},      {"days", 86400, 0},    {"week", 604800, 0},  {"weeks", 604800, 0},
      {"ثانيه", 1, 0},        {"ثوان", 1, 0},        {"ثواني", 1, 0},      {"ثانيتين", 1, 2},
      {"ثانيتان", 1, 2},      {"دقيقه", 60, 0},      {"دقائق", 60, 0},     {"دقيقتين", 60, 2},
      {"دقيقتان", 60, 2},     {"ساعه", 3600, 0},     {"ساعات", 3600, 0},   {"ساعتين", 3600, 2},
      {"ساعتان", 3600, 2},    {"يوم", 86400, 0},     {"ايام", 86400, 0},   {"يومين", 86400, 2},
      {"يومان", 86400, 2},    {"اسبوع", 604800, 0},  {"اسابيع", 604800, 0}, {"اسبوعين", 604800, 2},
      {"اسبوعان", 604800, 2},
  };
  const auto find_unit = [&](std::string_view word) -> const Unit* {
    for (const Unit& unit : kUnits) {
      if (unit.word == word) return &unit;
    }
    return nullptr;
  };

  int64_t count = 0;
  const Unit* unit = nullptr;
  const auto read_count = [&](std::string_view word) -> bool {
    if (AllDigits(word) && word.size() <= 6) {
      count = ToInt(word);
      return true;
    }
    if (is_one_of(word, {"a", "an", "one"})) {
      count = 1;
      return true;
    }
    return false;
  };

  if (words.front() == "منذ" || words.front() == "قبل") {
    // "منذ 3 ساعات", "منذ ساعة", "منذ ساعتين".
    if (words.size() == 2) {
      unit = find_unit(words[1]);
      if (unit == nullptr) return std::nullopt;
      count = unit->implied_count != 0 ? unit->implied_count : 1;
    } else if (words.size() == 3) {
      if (!AllDigits(words[1]) || words[1].size() > 6) return std::nullopt;
      count = ToInt(words[1]);
      unit = find_unit(words[2]);
      if (unit == nullptr || unit->implied_count != 0) return std::nullopt;
    } else {
      return std::nullopt;
    }
  } else {
    // "[about] 3 hours ago".
    if (words.back() != "ago") return std::nullopt;
    words.pop_back();
    if (!words.empty() && is_one_of(words.front(), {"about", "over", "almost", "nearly", "around"})) {
      words.erase(words.begin());
    }
    if (words.size() != 2 || !read_count(words[0])) return std::nullopt;
    unit = find_unit(words[1]);
    if (unit == nullptr || unit->implied_count != 0 || !IsAsciiLetter(words[1].front())) return std::nullopt;
  }
  return DateTime::FromUnixSeconds(reference - count * unit->seconds);
}

std::optional<DateTime> ParseDate(std::string_view text, std::optional<int64_t> reference_ms) {
  if (auto dt = ParseIsoDateTime(text)) return dt;
  if (auto dt = ParseRfc822(text)) return dt;
  if (auto dt = ParseStamp(text)) return dt;
  if (reference_ms) return ParseRelative(text, *reference_ms);
  return std::nullopt;
}

std::optional<int> MonthFromName(std::string_view name) {
  const std::string folded = FoldForMatching(name);
  if (folded.empty()) return std::nullopt;
  size_t length = 0;
  const Word* word = MatchWord(folded, 0, &length);
  if (word == nullptr || word->kind != WordKind::kMonth || length != folded.size()) return std::nullopt;
  return word->value;
}

}  // namespace newshound::sdk
