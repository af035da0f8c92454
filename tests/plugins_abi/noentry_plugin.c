/* A shared library that is not a newshound plugin: no entry point. */
__attribute__((visibility("default"))) int some_other_library_function(void) { return 42; }
