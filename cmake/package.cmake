# The Debian package (./dev package → build/herald_<version>_<arch>.deb):
# /usr/bin/herald, /etc/herald/herald.toml (the shipped config with its data
# in /var/lib/herald; a conffile), the systemd unit, the docs; the
# maintainer scripts in packaging/ make the herald user and a token secret.
include(GNUInstallDirs)

# The installed config is the shipped one with its SQLite file in the state directory.
file(READ "${CMAKE_SOURCE_DIR}/config/herald.toml" packaged_toml)
string(REPLACE "path = \"data/herald.db\"        # for sqlite; relative to the working directory, created on first start"
               "path = \"/var/lib/herald/herald.db\" # the package's state directory (systemd StateDirectory)"
               packaged_toml "${packaged_toml}")
if(NOT packaged_toml MATCHES "/var/lib/herald/herald.db")
  message(FATAL_ERROR "cmake/package.cmake: storage.path in config/herald.toml changed; update the replacement")
endif()
file(WRITE "${CMAKE_BINARY_DIR}/packaging/herald.toml" "${packaged_toml}")

install(TARGETS herald RUNTIME DESTINATION bin)
install(FILES "${CMAKE_BINARY_DIR}/packaging/herald.toml" DESTINATION /etc/herald)
install(FILES packaging/herald.service DESTINATION /lib/systemd/system)
install(FILES README.md DESTINATION share/doc/herald)
install(DIRECTORY docs/ DESTINATION share/doc/herald/docs FILES_MATCHING PATTERN "*.md" PATTERN tools EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "Herald maintainers <herald@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time notification server (WebSocket, durable queue, console)")
set(CPACK_PACKAGE_DESCRIPTION
    "Herald keeps browser and app clients connected over WebSocket, delivers events to a user, a channel or everyone, sends webhooks, Telegram messages and Web Push through a durable queue with retries and a dead-letter queue, and shows every actor live in a web console.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/conffiles;${CMAKE_SOURCE_DIR}/packaging/postinst;${CMAKE_SOURCE_DIR}/packaging/prerm;${CMAKE_SOURCE_DIR}/packaging/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
