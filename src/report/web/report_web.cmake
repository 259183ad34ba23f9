# The HTML report's web assets, included from src/CMakeLists.txt after leakscope_report.
# `npm ci` installs the libraries pinned in package-lock.json into the build folder (not the
# source tree, so concurrent build folders never race), then embed_assets.mjs turns them
# and the page's own files into a C++ source compiled into leakscope_report.
find_program(LEAKSCOPE_NODE node)
find_program(LEAKSCOPE_NPM npm)
if(NOT LEAKSCOPE_NODE OR NOT LEAKSCOPE_NPM)
  message(FATAL_ERROR "leakscope needs node and npm to build the HTML report "
    "(Debian: apt-get install nodejs npm, or run `make setup`)")
endif()

set(LEAKSCOPE_WEB_SRC ${CMAKE_CURRENT_SOURCE_DIR}/report/web)
set(LEAKSCOPE_WEB_BIN ${PROJECT_BINARY_DIR}/report_web)
set(LEAKSCOPE_WEB_STAMP ${LEAKSCOPE_WEB_BIN}/node_modules/.package-lock.json)
file(MAKE_DIRECTORY ${LEAKSCOPE_WEB_BIN})
add_custom_command(
  OUTPUT ${LEAKSCOPE_WEB_STAMP}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${LEAKSCOPE_WEB_SRC}/package.json
          ${LEAKSCOPE_WEB_SRC}/package-lock.json ${LEAKSCOPE_WEB_BIN}
  COMMAND ${LEAKSCOPE_NPM} ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${LEAKSCOPE_WEB_STAMP}
  WORKING_DIRECTORY ${LEAKSCOPE_WEB_BIN}
  DEPENDS ${LEAKSCOPE_WEB_SRC}/package.json ${LEAKSCOPE_WEB_SRC}/package-lock.json
  COMMENT "npm ci: the report's pinned web libraries"
  VERBATIM)

# Page files in the order the page loads them (report.js last: it starts the page).
set(LEAKSCOPE_WEB_PAGE page.html report.css util.js charts.js flame.js heap.js report.js)
list(TRANSFORM LEAKSCOPE_WEB_PAGE PREPEND ${LEAKSCOPE_WEB_SRC}/)
set(LEAKSCOPE_WEB_CC ${LEAKSCOPE_WEB_BIN}/web_assets_data.cc)
add_custom_command(
  OUTPUT ${LEAKSCOPE_WEB_CC}
  COMMAND ${LEAKSCOPE_NODE} ${LEAKSCOPE_WEB_SRC}/embed_assets.mjs ${LEAKSCOPE_WEB_CC}
          ${LEAKSCOPE_WEB_BIN}/node_modules ${LEAKSCOPE_WEB_PAGE}
  DEPENDS ${LEAKSCOPE_WEB_SRC}/embed_assets.mjs ${LEAKSCOPE_WEB_PAGE} ${LEAKSCOPE_WEB_STAMP}
  COMMENT "Embedding the report page's web assets"
  VERBATIM)
target_sources(leakscope_report PRIVATE ${LEAKSCOPE_WEB_CC})
