/* placeholder so the area library is never empty */
typedef int mamori_collect_placeholder_t;
