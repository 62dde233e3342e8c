/* placeholder so the area library is never empty */
typedef int mamori_lab_placeholder_t;
