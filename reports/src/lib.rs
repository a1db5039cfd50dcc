//! wsspec-reports
