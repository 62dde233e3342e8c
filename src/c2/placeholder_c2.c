/* placeholder so the area library is never empty */
typedef int mamori_c2_placeholder_t;
