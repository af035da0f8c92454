#include "frontier/seen_set.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace newshound::frontier {
namespace {

constexpr size_t kMinCapacity = 16;

// The home slot: the fingerprint scaled to [0, capacity). Rises with the
// fingerprint, which keeps the table in fingerprint order, and with the
// capacity, which is what lets Grow() move members only upwards.
size_t Home(uint64_t fingerprint, size_t capacity) {
  return static_cast<size_t>((static_cast<unsigned __int128>(fingerprint) * capacity) >> 64);
}

// Members a table of `capacity` home slots holds before it grows: a load of
// 7/8 (see the memory arithmetic in the header).
size_t MaxSize(size_t capacity) { return capacity / 8 * 7 + capacity % 8 * 7 / 8; }

size_t NextCapacity(size_t capacity) { return std::max(kMinCapacity, capacity + capacity / 2); }

uint64_t* Resize(uint64_t* slots, size_t length) {
  void* resized = std::realloc(slots, length * sizeof(uint64_t));
  if (resized == nullptr) throw std::bad_alloc();
  return static_cast<uint64_t*>(resized);
}

}  // namespace

SeenSet::~SeenSet() { std::free(slots_); }

SeenSet::SeenSet(SeenSet&& other) noexcept
    : slots_(std::exchange(other.slots_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      length_(std::exchange(other.length_, 0)),
      size_(std::exchange(other.size_, 0)) {}

SeenSet& SeenSet::operator=(SeenSet&& other) noexcept {
  if (this != &other) {
    std::free(slots_);
    slots_ = std::exchange(other.slots_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    length_ = std::exchange(other.length_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

uint64_t SeenSet::Fingerprint(std::string_view url) { return XXH3_64bits(url.data(), url.size()); }

bool SeenSet::ContainsFingerprint(uint64_t fingerprint) const {
  if (capacity_ == 0) return false;
  if (fingerprint == kEmpty) fingerprint = kEmpty - 1;
  size_t i = Home(fingerprint, capacity_);
  // Stops at the first slot not smaller: the member itself, a larger one
  // (the member would have been before it), or an empty slot.
  while (slots_[i] < fingerprint) ++i;
  return slots_[i] == fingerprint;
}

bool SeenSet::InsertFingerprint(uint64_t fingerprint) {
  if (fingerprint == kEmpty) fingerprint = kEmpty - 1;
  size_t i = 0;
  if (capacity_ != 0) {
    i = Home(fingerprint, capacity_);
    while (slots_[i] < fingerprint) ++i;
    if (slots_[i] == fingerprint) return false;
  }
  // Only a new member may grow the table, so duplicates never cost memory.
  if (size_ + 1 > MaxSize(capacity_)) {
    Grow(NextCapacity(capacity_));
    i = Home(fingerprint, capacity_);
    while (slots_[i] < fingerprint) ++i;
  }
  // Slot i is where the fingerprint goes in order; the rest of its run moves
  // up one slot into the run's first empty slot.
  size_t free_slot = i;
  while (slots_[free_slot] != kEmpty) ++free_slot;
  if (free_slot == length_ - 1) ExtendTail();
  std::memmove(slots_ + i + 1, slots_ + i, (free_slot - i) * sizeof(uint64_t));
  slots_[i] = fingerprint;
  ++size_;
  return true;
}

void SeenSet::InsertFingerprints(std::span<const uint64_t> fingerprints) {
  Reserve(size_ + fingerprints.size());
  for (uint64_t fingerprint : fingerprints) InsertFingerprint(fingerprint);
}

void SeenSet::Reserve(size_t count) {
  // The fewest home slots whose 7/8 is at least `count`.
  const size_t capacity = count / 7 * 8 + (count % 7 * 8 + 6) / 7;
  if (capacity > capacity_) Grow(std::max(capacity, kMinCapacity));
}

void SeenSet::ExtendTail() {
  // Geometric, so that a long run at the end costs few reallocs, but gently,
  // since the tail is memory no home slot uses.
  const size_t length = length_ + (length_ - capacity_) / 4 + 1;
  slots_ = Resize(slots_, length);
  std::fill(slots_ + length_, slots_ + length, kEmpty);
  length_ = length;
}

void SeenSet::Grow(size_t capacity) {
  // In the new table every member's slot is max(its new home, the slot after
  // the previous member's), in fingerprint order. Homes only rise with the
  // capacity, so by induction no member's new slot is below its old one.
  // Moving members from the last to the first therefore never overwrites a
  // member not yet moved, and the table grows in place. Going backwards
  // needs each member's new slot before its predecessors are placed, so a
  // first pass records where placement stands at the start of every block
  // of kBlock old slots, and the second pass moves one block at a time.
  constexpr size_t kBlock = 4096;
  const size_t old_length = length_;
  const size_t blocks = (old_length + kBlock - 1) / kBlock;
  // next_free_at[b]: the lowest new slot free for the first member of block b.
  std::vector<size_t> next_free_at(blocks);
  size_t next_free = 0;
  for (size_t b = 0; b < blocks; ++b) {
    next_free_at[b] = next_free;
    const size_t end = std::min(old_length, (b + 1) * kBlock);
    for (size_t i = b * kBlock; i < end; ++i) {
      if (slots_[i] != kEmpty) next_free = std::max(Home(slots_[i], capacity), next_free) + 1;
    }
  }
  // Room for every home slot and every member, plus the empty last slot.
  const size_t length = std::max({capacity + 1, next_free + 1, old_length});
  slots_ = Resize(slots_, length);
  std::fill(slots_ + old_length, slots_ + length, kEmpty);

  std::vector<uint64_t> moving;
  moving.reserve(kBlock);
  for (size_t b = blocks; b-- > 0;) {
    const size_t end = std::min(old_length, (b + 1) * kBlock);
    moving.clear();
    for (size_t i = b * kBlock; i < end; ++i) {
      if (slots_[i] != kEmpty) {
        moving.push_back(slots_[i]);
        slots_[i] = kEmpty;
      }
    }
    next_free = next_free_at[b];
    for (uint64_t fingerprint : moving) {
      const size_t slot = std::max(Home(fingerprint, capacity), next_free);
      slots_[slot] = fingerprint;
      next_free = slot + 1;
    }
  }
  capacity_ = capacity;
  length_ = length;
}

}  // namespace newshound::frontier
