#pragma once
// `herald gentoken …` (docs/configuration.md): argv after "gentoken".
#include <string>

namespace herald {

int gentoken(int argc, char** argv, const std::string& default_config);

} // namespace herald
