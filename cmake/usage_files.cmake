# Run at build time (cmake -P) by the timewait_usage_files target: asks the built binary for its
# man pages and completion scripts (from the definition `--help` prints, so they cannot drift)
# and writes the Debian changelog, into OUT:
#   man/*.8.gz, completions/{timewait,_timewait,timewait.fish}, doc/changelog.gz
# In: TIMEWAIT (the binary), OUT, VERSION_TXT, MAINTAINER.
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

# A native package's changelog (Debian policy 12.7): one entry for the version built.
file(STRINGS "${VERSION_TXT}" version LIMIT_COUNT 1)
string(TIMESTAMP when "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${OUT}/doc/changelog"
"timewait (${version}) unstable; urgency=medium

  * Built from the timewait sources; see /usr/share/doc/timewait/README.md.

 -- ${MAINTAINER}  ${when}
")
run(gzip -9nf "${OUT}/doc/changelog")
