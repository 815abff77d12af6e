#pragma once

#include <filesystem>
#include <string>

namespace terrain::testing {

// A fresh directory under /tmp, removed when the object goes away.
class TempDir final {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "terrain-test-XXXXXX").string();
        path_ = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace terrain::testing
