# libjwt (Debian libjwt-dev): HS256 verification for client tokens.
find_path(JWT_INCLUDE_DIR jwt.h)
find_library(JWT_LIBRARY jwt)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(JWT REQUIRED_VARS JWT_INCLUDE_DIR JWT_LIBRARY)
if(JWT_FOUND AND NOT TARGET JWT::jwt)
  add_library(JWT::jwt UNKNOWN IMPORTED)
  set_target_properties(JWT::jwt PROPERTIES
    IMPORTED_LOCATION "${JWT_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${JWT_INCLUDE_DIR}")
endif()
