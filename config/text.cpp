#include "config/text.hpp"

#include <atomic>
#include <nlohmann/json.hpp>

namespace herald {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when none starts there.
size_t sequence_at(const unsigned char* p, size_t i, size_t n) {
  unsigned char c = p[i];
  if (c < 0x80)
    return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > n - i)
    return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[i + k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i + k] & 0x3f);
  }
  static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

std::atomic<size_t> json_depth_limit{64};

} // namespace

bool valid_utf8(std::string_view s) {
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    auto len = sequence_at(p, i, n);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

std::string_view utf8_valid_prefix(std::string_view s) {
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  for (size_t n = s.size(); i < n;) {
    auto len = sequence_at(p, i, n);
    if (len == 0)
      break;
    i += len;
  }
  return s.substr(0, i);
}

std::string utf8_clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    auto len = sequence_at(p, i, n);
    if (len == 0) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    out.append(s.data() + i, len);
    i += len;
  }
  return out;
}

std::string hex_text(const unsigned char* bytes, size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 15];
  }
  return out;
}

std::vector<std::string> comma_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    if (!part.empty())
      out.emplace_back(part);
    if (comma == std::string_view::npos)
      break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::string utf8_cut(std::string_view s, size_t max_bytes) {
  auto clean = utf8_clean(s);
  if (clean.size() <= max_bytes)
    return clean;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(clean[end]) & 0xc0) == 0x80)
    --end;
  clean.resize(end);
  return clean;
}

std::string escape_controls(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f && c != '\\') {
      out += ch;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  return out;
}

std::string json_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void set_max_json_depth(size_t depth) {
  json_depth_limit.store(depth);
}
size_t max_json_depth() {
  return json_depth_limit.load(std::memory_order_relaxed);
}

bool json_depth_within(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth)
          return false;
        break;
      case ']':
      case '}':
        if (depth > 0)
          --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

nlohmann::json parse_json(std::string_view text) {
  if (!json_depth_within(text, max_json_depth()))
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

std::string base64_decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return {};
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string base64url_encode(std::string_view raw) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += digits[(acc >> bits) & 63];
    }
  }
  if (bits > 0)
    out += digits[(acc << (6 - bits)) & 63];
  return out;
}

} // namespace herald
