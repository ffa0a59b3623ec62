# Building and testing pipehost plugins with CMake. The one file serves
# the shipped plugins of this source tree and, installed with the SDK
# (find_package(pipehost) includes it), plugins built anywhere else.
include(GNUInstallDirs)

# pipehost_add_plugin(NAME SOURCES src.c ... [OUTPUT_DIRECTORY dir])
#
# Builds a pipehost plugin: a shared object named NAME.so with hidden
# visibility (only ph_plugin_descriptor is exported) and -z defs, so that a
# dependency on anything but the libraries it links fails at build time.
# It links pipehost::sdk (the headers, jansson); link pipehost::window
# for the windowing helpers. In this source tree a plugin is a shipped
# one (built into the plugin folder, installed with pipehost) unless
# OUTPUT_DIRECTORY is given; elsewhere `cmake --install` puts NAME.so in
# CMAKE_INSTALL_LIBDIR/pipehost/plugins under the plugin project's prefix:
# installed to pipehost's own prefix, every pipeline finds it by name.
function(pipehost_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED PIPEHOST_PLUGIN_OUTPUT_DIR)
    # A shipped plugin of this source tree.
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${PIPEHOST_PLUGIN_OUTPUT_DIR}")
    set_property(GLOBAL APPEND PROPERTY PIPEHOST_SHIPPED_PLUGINS ${name})
    install(TARGETS ${name} LIBRARY DESTINATION ${PIPEHOST_PLUGIN_SUBDIR})
  else()
    install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/pipehost/plugins)
  endif()
  target_link_options(${name} PRIVATE "LINKER:-z,defs")
  target_link_libraries(${name} PRIVATE pipehost::sdk)
endfunction()

# pipehost_add_golden_tests(PLUGIN_TARGET DIR)
#
# One ctest per DIR/CASE.input.jsonl, named golden.PLUGIN_TARGET.CASE and
# labelled golden, that runs the plugin under `pipehost test-plugin` and
# compares its output with DIR/CASE.expect.jsonl. Optional per case:
# DIR/CASE.config.yaml, the stage config; DIR/CASE.args, more test-plugin
# options on one line (e.g. --checkpoint-every 2 --crash-after 5
# --partition 3). The pipehost that runs them: the one built here inside
# this source tree; out of it, the installed one that find_package(pipehost)
# found, else PIPEHOST_EXECUTABLE or the pipehost on PATH. No tests are
# registered when PIPEHOST_TESTS or BUILD_TESTING is off.
function(pipehost_add_golden_tests plugin dir)
  if((DEFINED PIPEHOST_TESTS AND NOT PIPEHOST_TESTS) OR
     (DEFINED BUILD_TESTING AND NOT BUILD_TESTING))
    return()
  endif()
  if(TARGET pipehost OR PROJECT_NAME STREQUAL "pipehost")
    set(runner $<TARGET_FILE:pipehost>)
  elseif(TARGET pipehost::pipehost)
    set(runner $<TARGET_FILE:pipehost::pipehost>)
  else()
    find_program(PIPEHOST_EXECUTABLE pipehost)
    if(NOT PIPEHOST_EXECUTABLE)
      message(WARNING "pipehost_add_golden_tests(${plugin}): no pipehost executable found; "
                      "set PIPEHOST_EXECUTABLE to run the golden tests")
      return()
    endif()
    set(runner ${PIPEHOST_EXECUTABLE})
  endif()
  file(GLOB inputs CONFIGURE_DEPENDS ${dir}/*.input.jsonl)
  foreach(input ${inputs})
    get_filename_component(file ${input} NAME)
    string(REPLACE ".input.jsonl" "" case ${file})
    set(args --input ${input} --expect ${dir}/${case}.expect.jsonl)
    if(EXISTS ${dir}/${case}.config.yaml)
      list(APPEND args --config ${dir}/${case}.config.yaml)
    endif()
    if(EXISTS ${dir}/${case}.args)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dir}/${case}.args)
      file(STRINGS ${dir}/${case}.args extra LIMIT_COUNT 1)
      separate_arguments(extra UNIX_COMMAND "${extra}")
      list(APPEND args ${extra})
    endif()
    add_test(NAME golden.${plugin}.${case}
             COMMAND ${runner} test-plugin $<TARGET_FILE:${plugin}> ${args})
    set_tests_properties(golden.${plugin}.${case} PROPERTIES LABELS golden TIMEOUT 60)
  endforeach()
endfunction()
