# pipehost_add_plugin(NAME SOURCES src.c ... [OUTPUT_DIRECTORY dir])
#
# Builds a pipehost plugin: a shared object named NAME.so with hidden
# visibility (only ph_plugin_descriptor is exported) and -z defs, so that a
# dependency on anything but the libraries it links fails at build time.
function(pipehost_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED PIPEHOST_PLUGIN_OUTPUT_DIR)
    # A shipped plugin of this source tree.
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${PIPEHOST_PLUGIN_OUTPUT_DIR}")
    set_property(GLOBAL APPEND PROPERTY PIPEHOST_SHIPPED_PLUGINS ${name})
    install(TARGETS ${name} LIBRARY DESTINATION ${PIPEHOST_PLUGIN_SUBDIR})
  endif()
  target_link_options(${name} PRIVATE "LINKER:-z,defs")
  if(TARGET pipehost::sdk)
    target_link_libraries(${name} PRIVATE pipehost::sdk)
  endif()
  target_link_libraries(${name} PRIVATE PkgConfig::JANSSON)
endfunction()
