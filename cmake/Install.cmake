# `cmake --install build --prefix P` installs what a user and a plugin author
# need: the CLI and outlet-server (bin/), the bundled plugins
# (lib/newshound/plugins/), the plugin SDK (include/newshound/plugin/ and its
# static libraries) and a CMake package, so that an out-of-tree plugin
# builds with
#
#   find_package(newshound REQUIRED)
#   newshound_add_plugin(mysite SOURCES mysite.cpp)
include(CMakePackageConfigHelpers)

set(NEWSHOUND_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/newshound)

install(TARGETS newshound_sdk newshound_url EXPORT newshoundTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY framework/include/newshound/plugin
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/newshound)
install(EXPORT newshoundTargets NAMESPACE newshound:: DESTINATION ${NEWSHOUND_CMAKE_DIR})

configure_package_config_file(cmake/newshoundConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/newshoundConfig.cmake
  INSTALL_DESTINATION ${NEWSHOUND_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/newshoundConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/newshoundConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/newshoundConfigVersion.cmake
  cmake/NewshoundHelpers.cmake
  DESTINATION ${NEWSHOUND_CMAKE_DIR})
