# The installed SDK as a CMake package and a pkg-config module:
#   lib/cmake/pipehost/pipehostConfig.cmake, pipehostConfigVersion.cmake,
#     pipehostTargets.cmake (pipehost::sdk, pipehost::window,
#     pipehost::testkit, pipehost::pipehost) and PipehostPlugin.cmake;
#   lib/pkgconfig/pipehost.pc.
# Both are relocatable: `cmake --install build --prefix DIR` works for any DIR.
# Included by the top level once every exported target exists.
include(CMakePackageConfigHelpers)

set(PIPEHOST_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pipehost)
install(EXPORT pipehostTargets NAMESPACE pipehost::
        DESTINATION ${PIPEHOST_CMAKE_PACKAGE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/pipehostConfig.cmake.in
  ${CMAKE_BINARY_DIR}/package/pipehostConfig.cmake
  INSTALL_DESTINATION ${PIPEHOST_CMAKE_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR PIPEHOST_PLUGIN_SUBDIR)
# 0.x releases may change the SDK between minors.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/pipehostConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/package/pipehostConfig.cmake
  ${CMAKE_BINARY_DIR}/package/pipehostConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/PipehostPlugin.cmake
  DESTINATION ${PIPEHOST_CMAKE_PACKAGE_DIR})

# pkg-config: prefix found from the .pc file's own place.
file(RELATIVE_PATH PIPEHOST_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" PIPEHOST_PC_TO_PREFIX "${PIPEHOST_PC_TO_PREFIX}")
if(PIPEHOST_SANITIZE)
  set(PIPEHOST_PC_SANITIZE_LIBS " -fsanitize=address,undefined")
else()
  set(PIPEHOST_PC_SANITIZE_LIBS "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/pipehost.pc.in ${CMAKE_BINARY_DIR}/package/pipehost.pc
               @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/pipehost.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
