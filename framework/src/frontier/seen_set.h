// The set of URLs a crawl has seen, kept as 64-bit fingerprints so that it
// stays small: at most 16 bytes per URL once the table has grown at least
// once, about 9 bytes per URL when sized up front with Reserve()
// (tools/bench-seen measures it at 10 million URLs).
//
// A URL's fingerprint is XXH3_64bits of its bytes. The set does not
// normalize: callers pass the URL in normal form, or two spellings of one
// URL are two members.
//
// False positives. Two different URLs with the same fingerprint are one
// member, so the second is wrongly taken as seen and the crawl skips it
// (never fetches it); nothing else goes wrong. With n URLs the chance that
// any two of them collide is at most n^2 / 2^65 (birthday bound): for
// n = 10^7 that is 10^14 / 3.7 * 10^19 = 2.7 * 10^-6, one crawl of ten
// million URLs in about 370,000 losing one URL. The chance that a given new
// URL is wrongly taken as seen is n / 2^64 = 5.4 * 10^-13. XXH3 is not keyed,
// so this holds for URLs that nobody chose to collide; a hostile site can
// craft URLs whose fingerprints collide with others (hiding them) or crowd
// one region of the table (slowing inserts).
//
// Layout. An open-addressing table of uint64_t with linear probing, kept in
// fingerprint order: a fingerprint's home slot is fp * capacity / 2^64 (the
// high bits, so homes rise with fingerprints) and each run of occupied slots
// is sorted. A lookup scans from the home slot while slots hold smaller
// fingerprints; the empty value is UINT64_MAX, larger than any fingerprint,
// so one comparison per slot also stops at empty slots, and a miss costs
// about as much as a hit. A fingerprint equal to UINT64_MAX is stored as
// UINT64_MAX - 1 (one more collision pair, at 2^-63 per URL). Slots do not
// wrap around: runs that pass the last home slot spill into a short tail,
// and the table's last slot is always empty so that scans need no bounds
// check.
//
// Memory arithmetic (8 bytes per slot). The table grows by 1.5x when an
// insert would take it past a load of 7/8, so right after a growth the load
// is at least (7/8) / 1.5 = 0.583 and a URL costs at most 8 / 0.583 = 13.7
// bytes, falling to 8 / 0.875 = 9.1 bytes just before the next growth; the
// tail adds a few dozen slots. Doubling could not keep the 16-byte bound: it
// would need a load of 1.0 before growing (8 / (0.875 / 2) = 18.3 bytes).
// Growth happens in place (realloc, then the members move up from the last
// to the first, which never overwrites one not yet moved), so it needs no
// second table: with glibc a large table is its own mapping, realloc remaps
// its pages instead of copying them, and the process's peak RSS is the new
// table plus a few kilobytes.
//
// Thread safety: none; one owner.
#ifndef NEWSHOUND_FRONTIER_SEEN_SET_H_
#define NEWSHOUND_FRONTIER_SEEN_SET_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

namespace newshound::frontier {

class SeenSet {
 public:
  // Iterates the members' fingerprints in ascending order, as stored (a
  // fingerprint of UINT64_MAX reads as UINT64_MAX - 1). Any insert
  // invalidates iterators.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = uint64_t;
    using difference_type = std::ptrdiff_t;
    using pointer = const uint64_t*;
    using reference = const uint64_t&;

    Iterator() = default;
    reference operator*() const { return *slot_; }
    Iterator& operator++() {
      ++slot_;
      SkipEmpty();
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.slot_ == b.slot_; }

   private:
    friend class SeenSet;
    Iterator(const uint64_t* slot, const uint64_t* end) : slot_(slot), end_(end) { SkipEmpty(); }
    void SkipEmpty() {
      while (slot_ != end_ && *slot_ == kEmpty) ++slot_;
    }
    const uint64_t* slot_ = nullptr;
    const uint64_t* end_ = nullptr;
  };

  SeenSet() = default;
  ~SeenSet();
  // Movable; not copyable, since a copy of a crawl's seen set is hundreds of
  // megabytes that nobody should make by accident.
  SeenSet(SeenSet&& other) noexcept;
  SeenSet& operator=(SeenSet&& other) noexcept;
  SeenSet(const SeenSet&) = delete;
  SeenSet& operator=(const SeenSet&) = delete;

  // XXH3_64bits of the URL's bytes. Stable across runs and machines, so
  // persisted fingerprints stay valid.
  static uint64_t Fingerprint(std::string_view url);

  // Adds the URL (in normal form); true if it was not a member.
  bool Insert(std::string_view url) { return InsertFingerprint(Fingerprint(url)); }
  bool Contains(std::string_view url) const { return ContainsFingerprint(Fingerprint(url)); }

  // The same by fingerprint, e.g. ones loaded from storage.
  bool InsertFingerprint(uint64_t fingerprint);
  bool ContainsFingerprint(uint64_t fingerprint) const;

  // Bulk load: adds every fingerprint (duplicates allowed), growing the
  // table at most once.
  void InsertFingerprints(std::span<const uint64_t> fingerprints);

  // Makes room for `count` members in all, so that inserting up to that many
  // does not grow the table again. Sizes the table for a load of 7/8 at
  // `count`, about 9.1 bytes per member then.
  void Reserve(size_t count);

  // Members.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes the table takes (its slots; the object itself and allocator
  // overhead not counted).
  size_t memory_bytes() const { return length_ * sizeof(uint64_t); }

  // Every member's fingerprint, ascending, for persistence. SQLite stores
  // signed 64-bit integers: persist static_cast<int64_t>(fingerprint) and
  // read back with static_cast<uint64_t>, which round-trips every value.
  Iterator begin() const { return Iterator(slots_, slots_ + length_); }
  Iterator end() const { return Iterator(slots_ + length_, slots_ + length_); }

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;

  // Grows (in place) to `capacity` home slots; capacity > capacity_.
  void Grow(size_t capacity);
  // Lengthens the tail by at least one slot; the last slot stays empty.
  void ExtendTail();

  uint64_t* slots_ = nullptr;  // length_ slots, from malloc; null when length_ == 0
  size_t capacity_ = 0;        // home slots: homes are in [0, capacity_)
  size_t length_ = 0;          // capacity_ plus the tail; slots_[length_ - 1] is empty
  size_t size_ = 0;
};

}  // namespace newshound::frontier

#endif  // NEWSHOUND_FRONTIER_SEEN_SET_H_
