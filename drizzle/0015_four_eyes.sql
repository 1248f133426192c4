-- placeholder: filled by its owner
SELECT 1;
