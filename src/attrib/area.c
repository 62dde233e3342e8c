/* attrib area: see ARCHITECTURE.md. Placeholder so the library is never empty. */
int mamori_attrib_area_present(void);
int mamori_attrib_area_present(void) { return 1; }
