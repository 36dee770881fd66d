// TEMPORARY STUB (the helper writing lua-libs replaces this whole file).
export const LUA_LIBS_SOURCE = 'return {}';
