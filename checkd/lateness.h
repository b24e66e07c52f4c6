// How late checks start against their schedule, as a histogram with
// logarithmic buckets (four per doubling, 1 us to about 2 min): constant
// memory however many checks run, quantiles within 19 %. Pure.
#pragma once

#include <array>
#include <cstdint>

namespace hakeep::checkd {

class LatenessHistogram {
public:
    static constexpr std::size_t buckets = 4 * 27;

    void add(std::uint32_t microseconds);
    // The upper bound of the bucket holding quantile `q` (0..1), 0 when empty.
    std::uint64_t quantile_us(double q) const;
    std::uint64_t count() const { return count_; }

private:
    static std::size_t bucket_of(std::uint32_t microseconds);
    static std::uint64_t upper_bound_us(std::size_t bucket);
    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t count_ = 0;
};

}  // namespace hakeep::checkd
