/* placeholder so the area library is never empty */
typedef int mamori_import_placeholder_t;
