#pragma once
// A parsed HTTP request as the router sees it. Included by the HTTP session
// and the HTTP fuzzer only (it pulls in Beast's message types).
#include "net/api.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace herald::net {

// Moves the body out of `req`.
inline api_request
to_api_request(boost::beast::http::request<boost::beast::http::string_body>& req) {
  namespace http = boost::beast::http;
  api_request ar;
  auto target = std::string(req.target());
  auto q = target.find('?');
  ar.method = std::string(req.method_string());
  ar.path = target.substr(0, q);
  ar.query = q == std::string::npos ? "" : target.substr(q + 1);
  ar.authorization = std::string(req[http::field::authorization]);
  ar.body = std::move(req.body());
  return ar;
}

} // namespace herald::net
