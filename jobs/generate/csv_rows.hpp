// The CSV text of the generated files, appended to a chunk's byte buffer.
// Fields are quoted by io::append_csv_field, only when they need it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "jobs/generate/records.hpp"
#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

// v in decimal, zero-padded to min_width digits.
void append_uint(std::string& buf, uint64_t v, int min_width = 0);
// The table-1 id of a 0-based row: `L` and the 1-based row in 8 or more digits.
void append_left_id(std::string& buf, uint64_t row);
// A random version-4 UUID in its 36-character text form (two draws of rng).
void append_uuid(std::string& buf, Rng& rng);
// One line of left.csv / right.csv: id,uuid,first_name,middle_name,last_name,birthdate,hh_id.
void append_record(std::string& buf, std::string_view id, std::string_view uuid, const Fields& f,
                   std::string_view hh);

}  // namespace nm::jobs::generator
