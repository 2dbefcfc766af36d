# SPDX-License-Identifier: Apache-2.0
# Read by cpack when it packages (CPACK_PROJECT_CONFIG_FILE): the version of the binary built,
# which may be newer than the one known when the build directory was configured.
file(STRINGS "${CPACK_TIMEWAIT_VERSION_TXT}" CPACK_PACKAGE_VERSION LIMIT_COUNT 1)
set(CPACK_DEBIAN_PACKAGE_VERSION "${CPACK_PACKAGE_VERSION}")
