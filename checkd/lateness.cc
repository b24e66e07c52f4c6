#include "checkd/lateness.h"

#include <cmath>

namespace hakeep::checkd {

std::size_t LatenessHistogram::bucket_of(std::uint32_t microseconds) {
    if (microseconds <= 1) return 0;
    const auto index = static_cast<std::size_t>(std::ceil(std::log2(static_cast<double>(microseconds)) * 4.0));
    return index < buckets ? index : buckets - 1;
}

std::uint64_t LatenessHistogram::upper_bound_us(std::size_t bucket) {
    return static_cast<std::uint64_t>(std::floor(std::exp2(static_cast<double>(bucket) / 4.0)));
}

void LatenessHistogram::add(std::uint32_t microseconds) {
    ++counts_[bucket_of(microseconds)];
    ++count_;
}

std::uint64_t LatenessHistogram::quantile_us(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t bucket = 0; bucket < buckets; ++bucket) {
        seen += counts_[bucket];
        if (seen >= rank && seen > 0) return upper_bound_us(bucket);
    }
    return upper_bound_us(buckets - 1);
}

}  // namespace hakeep::checkd
