# SPDX-License-Identifier: Apache-2.0
# Run at build time (cmake -P) by the timewait_usage_files target: asks the built binary for its
# man pages and completion scripts (from the definition `--help` prints, so they cannot drift)
# and writes the Debian changelog (from CHANGELOG.md), into OUT:
#   man/*.8.gz, completions/{timewait,_timewait,timewait.fish}, doc/changelog.gz
# In: TIMEWAIT (the binary), OUT, SOURCE_DIR, MAINTAINER.
file(REMOVE_RECURSE "${OUT}/man" "${OUT}/completions" "${OUT}/doc")
file(MAKE_DIRECTORY "${OUT}/man" "${OUT}/completions" "${OUT}/doc")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

run("${TIMEWAIT}" help-man --dir "${OUT}/man")
file(GLOB pages "${OUT}/man/*.8")
if(NOT pages)
  message(FATAL_ERROR "${TIMEWAIT} help-man wrote no page")
endif()
# -n: no name or time stamp inside, so the .deb is the same on every rebuild.
run(gzip -9nf ${pages})

foreach(pair "bash;timewait" "zsh;_timewait" "fish;timewait.fish")
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND "${TIMEWAIT}" completion ${shell}
                  OUTPUT_FILE "${OUT}/completions/${name}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TIMEWAIT} completion ${shell} failed (${rc})")
  endif()
endforeach()

# A native package's changelog (Debian policy 12.7), from CHANGELOG.md: every release, and for a
# build between releases an entry for its version with the unreleased notes, dated by its commit.
execute_process(COMMAND "${TIMEWAIT}" --version OUTPUT_VARIABLE version_text RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT version_text MATCHES "^timewait ([^\n]+)\ncommit: [^ ]+ \\(([0-9-]+)\\)")
  message(FATAL_ERROR "${TIMEWAIT} --version: unexpected output '${version_text}'")
endif()
execute_process(COMMAND sh "${SOURCE_DIR}/scripts/debian-changelog.sh" "${SOURCE_DIR}/CHANGELOG.md"
                        "${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}" "${MAINTAINER}"
                OUTPUT_FILE "${OUT}/doc/changelog" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/debian-changelog.sh failed (${rc})")
endif()
run(gzip -9nf "${OUT}/doc/changelog")
