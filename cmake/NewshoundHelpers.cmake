# Helpers shared by the in-tree build and (installed) by out-of-tree plugins.

# newshound_add_plugin(NAME SOURCES src... [LIBRARIES lib...]
#                      [OUTPUT_DIRECTORY dir] [INSTALL])
# Builds a site plugin as a loadable module NAME.so with hidden visibility,
# linked against the plugin SDK, into the plugin directory of the build
# (${CMAKE_BINARY_DIR}/plugins unless OUTPUT_DIRECTORY says otherwise).
# INSTALL also installs it where an installed newshound looks for plugins
# (lib/newshound/plugins under the install prefix).
function(newshound_add_plugin name)
  cmake_parse_arguments(ARG "INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE newshound::sdk ${ARG_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  if(NOT ARG_OUTPUT_DIRECTORY)
    if(DEFINED NEWSHOUND_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIRECTORY ${NEWSHOUND_PLUGIN_OUTPUT_DIR})
    else()
      set(ARG_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  # Keep the SDK's static code private to the plugin and fail at link time,
  # not at dlopen time, on a missing symbol.
  target_link_options(${name} PRIVATE "LINKER:--exclude-libs,ALL" "LINKER:--no-undefined")
  if(ARG_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION lib/newshound/plugins)
  endif()
endfunction()

# newshound_add_golden_test(PLUGIN name PAGE page.html URL url EXPECT page.expected.json
#                           [SETTINGS json] [NAME test-name])
# A ctest test that runs the plugin on a saved page through the real CLI
# (`newshound extract ... --expect`) and fails with a field-level diff when
# the output differs from the golden file. Paths are relative to the calling
# CMakeLists.txt. Record or refresh a golden file with the same extract
# command and --update.
function(newshound_add_golden_test)
  cmake_parse_arguments(ARG "" "PLUGIN;PAGE;URL;EXPECT;SETTINGS;NAME" "" ${ARGN})
  foreach(required PLUGIN PAGE URL EXPECT)
    if(NOT ARG_${required})
      message(FATAL_ERROR "newshound_add_golden_test: ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_NAME)
    get_filename_component(stem ${ARG_PAGE} NAME_WE)
    set(ARG_NAME ${ARG_PLUGIN}.golden.${stem})
  endif()
  set(settings)
  if(ARG_SETTINGS)
    set(settings --settings ${ARG_SETTINGS})
  endif()
  add_test(NAME ${ARG_NAME}
    COMMAND $<TARGET_FILE:newshound::cli> extract
      --plugin-dir $<TARGET_FILE_DIR:${ARG_PLUGIN}> --plugin ${ARG_PLUGIN}
      --url ${ARG_URL} ${settings} --expect ${ARG_EXPECT} ${ARG_PAGE}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
